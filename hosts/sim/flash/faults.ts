/*
 * Power cuts on demand. Every operation that changes what survives a restart (a flash erase, a
 * flash write, a persistent-store set or delete) first asks the device's FaultInjector, which
 * may cut the power there. Cutting at each operation of an update in turn proves that no cut
 * point leaves the device unable to boot.
 */

export type FaultKind = 'erase' | 'write' | 'store';

/** The power failed: the operation named in the message did not happen (or only partly: a torn write). */
export class PowerCut extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PowerCut';
	}
}

export interface FaultInjector {
	/**
	 * Called before each erase, write and store operation. Throw PowerCut to cut the power before
	 * it; return `{tear: n}` for a write to let only its first n bytes land before the cut.
	 */
	operation(kind: FaultKind, detail: string, bytes?: number): { tear?: number } | undefined;
}

export interface CutOptions {
	/** How the cut write lands: not at all (default), its first half, or a seeded random prefix. */
	tear?: 'none' | 'half' | 'random';
	/** Seed of the 'random' tear. */
	seed?: number;
}

/**
 * Cuts the power at the n-th operation (1-based). From then on the device is dead: every later
 * operation throws PowerCut too, so nothing written after the cut can land.
 */
export class CutAtOperation implements FaultInjector {
	readonly at: number;
	#tear: 'none' | 'half' | 'random';
	#random: () => number;
	#count = 0;
	#cut: string | undefined;

	constructor(n: number, options: CutOptions = {}) {
		if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`the operation to cut at is counted from 1, not ${n}`);
		const tear = options.tear ?? 'none';
		if (tear !== 'none' && tear !== 'half' && tear !== 'random') throw new RangeError(`tear must be 'none', 'half' or 'random', not ${String(tear)}`);
		this.at = n;
		this.#tear = tear;
		this.#random = xorshift(options.seed ?? n);
	}

	/** Operations seen so far, the cut one and the refused ones after it included. */
	get count(): number {
		return this.#count;
	}

	get tripped(): boolean {
		return this.#cut !== undefined;
	}

	/** The operation the power was cut at, for messages. */
	get cutAt(): string | undefined {
		return this.#cut;
	}

	operation(kind: FaultKind, detail: string, bytes?: number): { tear?: number } | undefined {
		this.#count++;
		if (this.#cut !== undefined) throw new PowerCut(`device is off since the power cut at ${this.#cut}: ${kind} ${detail} refused`);
		if (this.#count < this.at) return undefined;
		this.#cut = `operation ${this.#count} (${kind} ${detail})`;
		if (kind === 'write' && bytes !== undefined && bytes > 0 && this.#tear !== 'none') {
			const tear = this.#tear === 'half' ? Math.floor(bytes / 2) : Math.floor(this.#random() * bytes);
			return { tear };
		}
		throw new PowerCut(`power cut before ${kind} ${detail}`);
	}
}

/** Counts operations without cutting anything: how many cut points a scenario has. */
export class OperationCounter implements FaultInjector {
	#count = 0;
	readonly kinds: Record<FaultKind, number> = { erase: 0, write: 0, store: 0 };

	get count(): number {
		return this.#count;
	}

	/** Never trips. */
	get tripped(): boolean {
		return false;
	}

	operation(kind: FaultKind): undefined {
		this.#count++;
		this.kinds[kind]++;
		return undefined;
	}
}

/** A seeded generator of numbers in [0, 1). */
function xorshift(seed: number): () => number {
	// Scramble the seed: xorshift's first outputs from small seeds are small too.
	let x = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
	x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
	x = ((x ^ (x >>> 16)) >>> 0) || 0x9e3779b9;
	return () => {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		return x / 0x100000000;
	};
}
