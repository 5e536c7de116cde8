/*
 * The clock port over Node timers. `scale` runs device time faster than wall time (a scale of 60
 * makes a minute of device time pass in a second) so schedule behaviour can be simulated quickly;
 * device time starts at the wall clock and advances `scale` times faster.
 */
import type { ClockPort } from '../../modules/ports';

export function createNodeClock(scale = 1): ClockPort & { dispose(): void } {
	if (!(scale > 0)) throw new RangeError('clock scale must be positive');
	const origin = Date.now();
	const timers = new Map<number, NodeJS.Timeout>();
	let nextId = 1;
	return {
		now: () => origin + (Date.now() - origin) * scale,
		setTimer(callback, ms) {
			const id = nextId++;
			timers.set(id, setTimeout(() => {
				timers.delete(id);
				callback();
			}, Math.max(0, ms / scale)));
			return id;
		},
		clearTimer(id) {
			clearTimeout(timers.get(id));
			timers.delete(id);
		},
		dispose() {
			for (const t of timers.values()) clearTimeout(t);
			timers.clear();
		},
	};
}
