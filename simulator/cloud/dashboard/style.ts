/* The dashboard's one stylesheet, served as /dashboard/style.css (the page allows no inline styles). */
export const DASHBOARD_CSS = `
:root { color-scheme: light; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2329; background: #f4f6f8; }
header { display: flex; align-items: baseline; gap: 16px; padding: 12px 24px; background: #1f3a5f; color: #fff; }
header h1 { margin: 0; font-size: 20px; }
header .muted { color: #c8d3e0; }
header nav { margin-left: auto; display: flex; gap: 12px; align-items: center; }
header nav a { color: #fff; }
header form { margin: 0; }
main { padding: 16px 24px; display: grid; gap: 16px; }
section { background: #fff; border: 1px solid #dde2e7; border-radius: 6px; padding: 12px 16px; overflow-x: auto; }
h2 { margin: 0 0 8px; font-size: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eef1f4; white-space: nowrap; }
th { font-weight: 600; color: #4a5561; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.selected { background: #eef5ff; }
code { font: 12px/1.3 ui-monospace, monospace; background: #f1f3f5; padding: 1px 4px; border-radius: 3px; white-space: pre-wrap; }
.muted { color: #6b7682; }
.state { padding: 1px 6px; border-radius: 8px; font-size: 12px; }
.state.enabled { background: #ddf3e6; color: #1f6e40; }
.state.disabled { background: #eceff2; color: #4a5561; }
.state.halted { background: #fbe2e0; color: #9a2a23; }
.alert { color: #9a2a23; background: #fbe2e0; padding: 6px 10px; border-radius: 4px; }
.columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1.4fr); gap: 16px; }
svg.chart { max-width: 1100px; display: block; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2329; }
svg text.tick { fill: #6b7682; }
form label { display: inline-flex; flex-direction: column; gap: 2px; margin-right: 12px; font-size: 12px; color: #4a5561; }
form label.wide { display: flex; margin: 8px 0; }
input, textarea { font: 13px ui-monospace, monospace; padding: 4px 6px; border: 1px solid #c4ccd4; border-radius: 4px; }
textarea { width: 100%; box-sizing: border-box; }
button { font: inherit; padding: 4px 12px; border: 1px solid #1f3a5f; background: #1f3a5f; color: #fff; border-radius: 4px; cursor: pointer; }
header button { background: transparent; border-color: #c8d3e0; }
`;
