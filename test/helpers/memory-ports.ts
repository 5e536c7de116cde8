/* In-memory store and a manual clock, for tests of the agent's pure parts. */
import type { ClockPort, StorePort } from '../../modules/ports';

export function memoryStore(initial: Record<string, string> = {}): StorePort & { values: Map<string, string>; writes: number } {
	const values = new Map(Object.entries(initial));
	const store = {
		values,
		writes: 0,
		get: (key: string) => values.get(key),
		set(key: string, value: string) {
			store.writes++;
			values.set(key, value);
		},
		delete(key: string) {
			values.delete(key);
		},
	};
	return store;
}

export function manualClock(start = 1_700_000_000_000): ClockPort & { advance(ms: number): void } {
	let now = start;
	let nextId = 1;
	const timers = new Map<number, { at: number; fn: () => void }>();
	return {
		now: () => now,
		setTimer(fn, ms) {
			const id = nextId++;
			timers.set(id, { at: now + ms, fn });
			return id;
		},
		clearTimer(id) {
			timers.delete(id);
		},
		advance(ms) {
			now += ms;
			for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
				if (timer.at <= now) {
					timers.delete(id);
					timer.fn();
				}
			}
		},
	};
}
