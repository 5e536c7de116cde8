/*
 * A release's rollout over time, from what the cloud keeps anyway: each grant's offer and first
 * download times, and each update report's arrival. The counts are cumulative (devices offered,
 * devices started, success and failure reports), sampled at evenly spaced times from the first
 * offer to now (or, for a rollout long over, to just after its last event), so that a rollout of
 * ten thousand devices draws in a few hundred points.
 */

export interface ProgressPoint {
	/** Milliseconds since the epoch. */
	time: number;
	offered: number;
	started: number;
	success: number;
	failure: number;
}

export interface ProgressInput {
	grants: Iterable<{ offered: number; started: number | null }>;
	reports: Iterable<{ time: string; success: boolean }>;
}

export const MAX_POINTS = 1000;

export function rolloutSeries(input: ProgressInput, now: number, points = 120): ProgressPoint[] {
	if (!Number.isSafeInteger(points) || points < 2 || points > MAX_POINTS) throw new RangeError(`a series has 2 to ${MAX_POINTS} points, not ${points}`);
	const offered: number[] = [];
	const started: number[] = [];
	for (const grant of input.grants) {
		offered.push(grant.offered);
		if (grant.started !== null) started.push(grant.started);
	}
	const success: number[] = [];
	const failure: number[] = [];
	for (const report of input.reports) {
		const time = Date.parse(report.time);
		if (Number.isNaN(time)) continue;
		(report.success ? success : failure).push(time);
	}
	const all = [offered, started, success, failure];
	for (const list of all) list.sort((a, b) => a - b);
	const first = Math.min(...all.map((list) => list[0] ?? Infinity));
	if (first === Infinity) return [];
	const lastEvent = Math.max(...all.map((list) => list[list.length - 1] ?? -Infinity));
	// Up to now while the rollout is recent; a rollout long over keeps its own time scale.
	const span = Math.max(1, lastEvent - first);
	const last = now - lastEvent <= span ? Math.max(now, lastEvent) : lastEvent + span * 0.05;
	const cursors = [0, 0, 0, 0];
	const out: ProgressPoint[] = [];
	for (let i = 0; i < points; i++) {
		// The last sample is exactly `last`, so the final counts are the totals.
		const time = i === points - 1 ? last : first + ((last - first) * i) / (points - 1);
		for (let s = 0; s < all.length; s++) {
			const list = all[s]!;
			while (cursors[s]! < list.length && list[cursors[s]!]! <= time) cursors[s]!++;
		}
		out.push({ time: Math.round(time), offered: cursors[0]!, started: cursors[1]!, success: cursors[2]!, failure: cursors[3]! });
	}
	return out;
}
