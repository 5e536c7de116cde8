/*
 * The clock port over Node timers, optionally accelerated for schedule simulations.
 *
 * With `scale` above 1 the device clock skips ahead through long idle waits: when no connection
 * is open and the next timer is at least WARP_MIN of device time away (the wait for the next
 * scheduled check, an apply window), that wait passes `scale` times faster and the clock jumps to
 * its end. Everything shorter — timeouts, retry backoff, a trial's confirmation deadline — and
 * everything while a connection is open runs at wall speed, so it keeps its meaning. Device time
 * never runs backwards; `start` continues a clock across a simulated restart.
 *
 * A fleet (simulator/fleet/fleet-clock.ts) sets `warpMin` to 0: every idle wait is short there,
 * so ten thousand devices that back off together do not hold the run for their backoff.
 */
import type { ClockPort } from '../../modules/ports';

export interface NodeClock extends ClockPort {
	/** The device is using the network (no skipping ahead) or idle. */
	setBusy(busy: boolean): void;
	/** Device time moves on by `ms` at once (the device slept). */
	skip(ms: number): void;
	/** Cancel every timer (power off). */
	dispose(): void;
}

/** Device waits shorter than this are never accelerated. */
export const WARP_MIN = 10 * 60_000;

interface Timer {
	id: number;
	due: number;
	callback: () => void;
}

/**
 * @param scale    how much faster idle waits pass (1: never)
 * @param start    device time to start at (default: the wall clock)
 * @param warpMin  idle waits shorter than this stay real (default WARP_MIN)
 */
export function createNodeClock(scale = 1, start?: number, warpMin = WARP_MIN): NodeClock {
	if (!(scale > 0)) throw new RangeError('clock scale must be positive');
	let offset = start === undefined ? 0 : start - Date.now();
	let busy = false;
	let handle: NodeJS.Timeout | undefined;
	const timers = new Map<number, Timer>();
	let nextId = 1;
	const now = () => Date.now() + offset;

	const arm = () => {
		clearTimeout(handle);
		handle = undefined;
		let earliest: Timer | undefined;
		for (const t of timers.values()) if (!earliest || t.due < earliest.due || (t.due === earliest.due && t.id < earliest.id)) earliest = t;
		if (!earliest) return;
		const target = earliest;
		const delay = Math.max(0, target.due - now());
		const warp = scale > 1 && !busy && delay >= warpMin;
		handle = setTimeout(() => {
			handle = undefined;
			if (warp) offset += Math.max(0, target.due - now());
			const due = [...timers.values()].filter((t) => t.due <= now()).sort((a, b) => a.due - b.due || a.id - b.id);
			for (const t of due) timers.delete(t.id);
			for (const t of due) t.callback();
			arm();
		}, warp ? delay / scale : delay);
	};

	return {
		now,
		setTimer(callback, ms) {
			const id = nextId++;
			timers.set(id, { id, due: now() + Math.max(0, ms), callback });
			arm();
			return id;
		},
		clearTimer(id) {
			if (timers.delete(id)) arm();
		},
		setBusy(next) {
			if (next === busy) return;
			busy = next;
			arm();
		},
		skip(ms) {
			if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`a clock skips ahead by a number of ms >= 0, not ${ms}`);
			offset += ms;
			arm();
		},
		dispose() {
			clearTimeout(handle);
			handle = undefined;
			timers.clear();
		},
	};
}
