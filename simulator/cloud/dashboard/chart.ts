/*
 * Charts as inline SVG, drawn on the server: a line chart of counts over time (the rollout) and
 * a horizontal bar chart (the version histogram). Colours and sizes are attributes, not styles,
 * so the page's Content-Security-Policy needs no inline styles.
 */
import { html, type Html } from './html';

export interface Series {
	name: string;
	color: string;
	values: readonly number[];
}

export interface ChartBox {
	width: number;
	height: number;
}

const PAD = { left: 56, right: 16, top: 16, bottom: 40 };

/** A round upper bound for an axis: 1, 1.5, 2, 2.5, 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
	if (!(max > 0)) return 1;
	const power = 10 ** Math.floor(Math.log10(max));
	for (const step of [1, 1.5, 2, 2.5, 5, 10]) if (step * power >= max) return step * power;
	return 10 * power;
}

function clock(time: number): string {
	return new Date(time).toISOString().slice(11, 19);
}

export function lineChart(id: string, times: readonly number[], series: readonly Series[], box: ChartBox, label: string): Html {
	const { width, height } = box;
	const plotW = width - PAD.left - PAD.right;
	const plotH = height - PAD.top - PAD.bottom;
	const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
	const t0 = times[0] ?? 0;
	const t1 = times[times.length - 1] ?? t0;
	const x = (t: number) => PAD.left + (t1 > t0 ? ((t - t0) / (t1 - t0)) * plotW : plotW);
	const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
	const ticks = [0, top / 2, top];
	const lines = series.map((s) => {
		const points = s.values.map((v, i) => `${x(times[i]!).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
		return html`<polyline class="series" data-series="${s.name}" fill="none" stroke="${s.color}" stroke-width="2.5" points="${points}"/>`;
	});
	const legend = series.map((s, i) => html`<g transform="translate(${PAD.left + 8 + i * 110},${PAD.top + 6})"><rect width="12" height="12" fill="${s.color}"/><text x="16" y="11">${s.name} ${s.values[s.values.length - 1] ?? 0}</text></g>`);
	return html`<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${label}">
<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>
${ticks.map((v) => html`<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e6ea"/><text class="tick" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${Math.round(v)}</text>`)}
<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#9aa3ad"/>
<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH}" stroke="#9aa3ad"/>
<text class="tick" x="${PAD.left}" y="${height - 14}">${times.length ? clock(t0) : ''}</text>
<text class="tick" x="${width - PAD.right}" y="${height - 14}" text-anchor="end">${times.length ? clock(t1) : ''} UTC</text>
${lines}
${legend}
</svg>`;
}

export interface Bar {
	label: string;
	value: number;
	color: string;
}

export function barChart(id: string, bars: readonly Bar[], width: number, label: string): Html {
	const row = 26;
	const labelW = 120;
	const valueW = 70;
	const height = Math.max(1, bars.length) * row + 8;
	const top = Math.max(1, ...bars.map((b) => b.value));
	const barW = (v: number) => Math.max(v > 0 ? 2 : 0, ((width - labelW - valueW) * v) / top);
	return html`<svg id="${id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${label}">
${bars.map((b, i) => html`<g transform="translate(0,${4 + i * row})" data-bar="${b.label}"><text x="${labelW - 8}" y="17" text-anchor="end">${b.label}</text><rect x="${labelW}" y="3" height="18" width="${barW(b.value).toFixed(1)}" fill="${b.color}"/><text x="${labelW + barW(b.value) + 6}" y="17">${b.value}</text></g>`)}
</svg>`;
}
