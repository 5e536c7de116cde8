/*
 * The clock of one device in a fleet. Device time runs at wall speed while the device has a
 * connection open, so that timeouts keep their meaning under load; while it is idle (backoff
 * between retries, a trial waiting for its deadline, a hung self-test) time passes `idleScale`
 * times faster and the clock jumps to the end of each wait. Between rollout waves the fleet moves
 * every clock on by a whole check period at once (skip), as the device sleeps until its next
 * scheduled check. Device time never runs backwards.
 *
 * hosts/sim/node-clock.ts does the same for one device with a threshold that keeps short waits
 * real; a fleet wants the opposite, every idle wait short, so ten thousand devices that back off
 * together do not hold the run for the length of their backoff.
 */
import type { ClockPort } from '../../modules/ports';

export interface FleetClock extends ClockPort {
	/** The device is using the network (time runs at wall speed) or idle. */
	setBusy(busy: boolean): void;
	/** Device time moves on by `ms` at once. */
	skip(ms: number): void;
	/** Cancel every timer (power off). */
	dispose(): void;
}

interface Timer {
	id: number;
	due: number;
	callback: () => void;
}

export function createFleetClock(start: number, idleScale: number): FleetClock {
	if (!Number.isFinite(start)) throw new RangeError(`clock start must be a time in ms, not ${start}`);
	if (!(idleScale >= 1) || !Number.isFinite(idleScale)) throw new RangeError(`idle scale must be a number >= 1, not ${idleScale}`);
	let offset = start - Date.now();
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
		const warp = !busy && idleScale > 1;
		handle = setTimeout(() => {
			handle = undefined;
			if (warp) offset += Math.max(0, target.due - now());
			const due = [...timers.values()].filter((t) => t.due <= now()).sort((a, b) => a.due - b.due || a.id - b.id);
			for (const t of due) timers.delete(t.id);
			for (const t of due) t.callback();
			arm();
		}, warp ? delay / idleScale : delay);
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
			if (timers.size > 0) arm();
		},
		skip(ms) {
			if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`a clock skips ahead by a number of ms >= 0, not ${ms}`);
			offset += ms;
			if (timers.size > 0) arm();
		},
		dispose() {
			clearTimeout(handle);
			handle = undefined;
			timers.clear();
		},
	};
}
