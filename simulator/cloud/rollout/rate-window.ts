/*
 * `rate` new devices per `period` seconds, over a sliding window: a device may be admitted when
 * fewer than `rate` devices were admitted in the `period` seconds before now. Only the times
 * inside the window are kept, so memory is bounded by the rate.
 */

export class RateWindow {
	/** Admission times (ms), oldest first. */
	readonly #times: number[] = [];

	/** Seed from the grant times known at start. */
	constructor(times: Iterable<number> = []) {
		this.#times.push(...times);
		this.#times.sort((a, b) => a - b);
	}

	/** Whether one more device may start now under `rate` per `periodSeconds`. */
	allows(rate: number | null, periodSeconds: number | null, now: number): boolean {
		if (rate === null || periodSeconds === null) return true;
		this.#prune(now - periodSeconds * 1000);
		return this.#times.length < rate;
	}

	/** An admission at `time`; times older than the window are dropped as they pass. */
	record(time: number, periodSeconds: number): void {
		this.#prune(time - periodSeconds * 1000);
		this.#times.push(time);
		// Rare: a clock step backwards; keep the order the pruning relies on.
		if (this.#times.length > 1 && this.#times[this.#times.length - 2]! > time) this.#times.sort((a, b) => a - b);
	}

	#prune(cutoff: number): void {
		let drop = 0;
		while (drop < this.#times.length && this.#times[drop]! <= cutoff) drop++;
		if (drop > 0) this.#times.splice(0, drop);
	}
}
