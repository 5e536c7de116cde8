/*
 * The final report of a fleet run as text: the stages, the versions before and after, what the
 * devices' cycles came to, what the cloud counted, and the time it took.
 */
import type { FleetSummary } from './fleet-run';
import { compareSemver } from '../../modules/semver';

/** Columns padded to their widest cell; the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[], indent = ''): string {
	const widths: number[] = [];
	for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
	return rows.map((row) => `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd()).join('\n');
}

export function formatDuration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)} ms`;
	if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
	if (ms < 2 * 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
	if (ms < 2 * 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
	return `${(ms / 86_400_000).toFixed(1)} days`;
}

function counts(record: Record<string, number>): string {
	const entries = Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
	return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k} ${v}`).join(', ');
}

function byVersion(a: string, b: string): number {
	try {
		return compareSemver(a, b);
	} catch {
		return a.localeCompare(b);
	}
}

export function formatSummary(s: FleetSummary, extra: { cloudCpuMs?: number } = {}): string {
	const r = s.release;
	const settings = [
		r.policy ? `policy ${JSON.stringify(r.policy)}` : 'no policy',
		r.limit !== null ? `limit ${r.limit}` : '',
		r.rate !== null ? `rate ${r.rate}/${r.period} s` : '',
		r.halted ? `HALTED: ${r.halted}` : '',
	].filter(Boolean).join(', ');
	const out: string[] = [];
	out.push(`fleet     ${s.devices} devices, seed ${JSON.stringify(s.seed)}, product ${s.product}${s.interrupted ? '  (INTERRUPTED)' : ''}`);
	out.push(`release   ${r.version} (id ${r.id}, ${s.imageSize} byte image), ${settings}`);
	out.push('');
	out.push(formatTable([
		['stage', 'percentage', 'waves', 'check-ins', 'offered', 'updated', `on ${s.to}`, 'failing', 'wall'],
		...s.stages.map((stage, i) => [
			String(i + 1),
			stage.percentage === null ? 'all' : `${stage.percentage}%`,
			String(stage.waves),
			String(stage.checkins),
			String(stage.offered),
			String(stage.updated),
			String(stage.updatedTotal),
			String(stage.failed),
			formatDuration(stage.wallMs),
		]),
	]));
	out.push('');
	const versions = [...new Set([...Object.keys(s.versionsBefore), ...Object.keys(s.versionsAfter)])].sort(byVersion);
	out.push(formatTable([
		['version', 'before', 'after'],
		...versions.map((v) => [v, String(s.versionsBefore[v] ?? 0), String(s.versionsAfter[v] ?? 0)]),
	]));
	out.push('');
	const c = r.counters;
	const cpu = `fleet CPU ${formatDuration(s.fleetCpuMs)}${s.shards > 1 ? ` (${s.shards} device processes)` : ''}${extra.cloudCpuMs !== undefined ? `, cloud CPU ${formatDuration(extra.cloudCpuMs)}` : ''}`;
	out.push(formatTable([
		['outcomes', counts(s.outcomes)],
		['reasons', counts(s.reasons)],
		['reports', `the cloud received ${c.success + c.failure} (success ${c.success}, failure ${c.failure}); devices still hold ${s.reports.undelivered}`],
		['counters', `requests ${c.requests}, offered ${c.offered}, devices ${c.devices}, started ${c.started}, success ${c.success}, failure ${c.failure}`],
		['tls', `${s.tls.full} full handshakes, ${s.tls.resumed} resumed`],
		['faults', s.faults.devices === 0 ? 'none' : `${s.faults.devices} devices with a flaky network: ${s.faults.refused} connections refused, ${s.faults.cut} cut`],
		['time', `wall ${formatDuration(s.wallMs)}, device time ${formatDuration(s.deviceTimeMs)}, ${cpu}`],
		['errors', s.errors === 0 ? '0' : `${s.errors}: ${s.errorSamples[0]?.split('\n')[0] ?? ''}`],
	]));
	return `${out.join('\n')}\n`;
}
