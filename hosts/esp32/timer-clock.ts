/*
 * The agent's ClockPort over Moddable's Timer (module "timer"), whose timers are objects: the port
 * deals in numbers, so each live timer gets an id here and is forgotten once it fired or was
 * cleared (Moddable frees a one-shot timer after its callback).
 */
import type { ClockPort } from '../../modules/ports';

/** Moddable's Timer class, as far as the clock uses it. */
export interface TimerModule<T> {
	set(callback: () => void, interval: number): T;
	clear(timer: T | undefined): void;
}

export function createTimerClock<T>(Timer: TimerModule<T>, now: () => number = Date.now): ClockPort & { readonly pending: number } {
	const timers = new Map<number, T>();
	let nextId = 1;
	return {
		now,
		setTimer(callback, ms) {
			if (typeof callback !== 'function') throw new TypeError('setTimer needs a callback');
			if (!(ms >= 0)) throw new RangeError(`timer delay must be a number of milliseconds >= 0, not ${ms}`);
			const id = nextId++;
			timers.set(id, Timer.set(() => {
				timers.delete(id);
				callback();
			}, Math.min(ms, 0x7fffffff)));
			return id;
		},
		clearTimer(id) {
			const timer = timers.get(id);
			if (timer === undefined) return;
			timers.delete(id);
			Timer.clear(timer);
		},
		get pending() {
			return timers.size;
		},
	};
}
