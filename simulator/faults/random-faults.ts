/*
 * Seeded random faults for a scenario. Faults that only mean something for a resumed download
 * (a 200 answering a range, a release that changes under a resume) come after a cut, so they
 * meet the request for a range they are about.
 */
import { createHash } from 'node:crypto';
import { MAX_TRICKLE_MS, type CheckinFault, type ImageFault, type PlannedFault } from './faults';

/** A seeded source of the random choices a scenario makes. */
export interface Dice {
	/** A float in [0, 1). */
	next(): number;
	/** An integer in [min, max]. */
	int(min: number, max: number): number;
	pick<T>(items: readonly T[]): T;
	chance(p: number): boolean;
}

/** sfc32 seeded with the SHA-256 of `seed`: seeds that differ in one character draw unrelated numbers. */
export function dice(seed: string): Dice {
	const digest = createHash('sha256').update(seed).digest();
	let a = digest.readUInt32LE(0);
	let b = digest.readUInt32LE(4);
	let c = digest.readUInt32LE(8);
	let d = digest.readUInt32LE(12);
	const next = () => {
		const t = (((a + b) | 0) + d) | 0;
		d = (d + 1) | 0;
		a = b ^ (b >>> 9);
		b = (c + (c << 3)) | 0;
		c = (c << 21) | (c >>> 11);
		c = (c + t) | 0;
		return (t >>> 0) / 4294967296;
	};
	const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
	return {
		next,
		int,
		pick: (items) => items[int(0, items.length - 1)],
		chance: (p) => next() < p,
	};
}

const SERVER_ERRORS = [500, 502, 503, 504];

/** How many faults a scenario gets: [count, weight]. */
const FAULT_COUNTS: [number, number][] = [[0, 10], [1, 35], [2, 30], [3, 15], [4, 10]];

/** Image faults drawn for a scenario; the share of check-in faults is `checkinShare`. */
export function randomFaults(d: Dice, imageSize: number, checkinShare = 0.2): PlannedFault[] {
	const total = FAULT_COUNTS.reduce((sum, [, w]) => sum + w, 0);
	let roll = d.next() * total;
	let count = 0;
	for (const [n, w] of FAULT_COUNTS) {
		if (roll < w) {
			count = n;
			break;
		}
		roll -= w;
	}
	const faults: PlannedFault[] = [];
	for (let i = 0; i < count; i++) {
		if (d.chance(checkinShare)) faults.push({ target: 'checkin', fault: randomCheckinFault(d) });
		else for (const fault of randomImageFaults(d, imageSize)) faults.push({ target: 'image', fault });
	}
	return faults;
}

export function randomCheckinFault(d: Dice): CheckinFault {
	switch (d.pick(['cut', 'stall', 'server-error'] as const)) {
		case 'cut':
			return { kind: 'cut', at: d.int(0, 400) };
		case 'stall':
			return { kind: 'stall', at: d.int(0, 400) };
		case 'server-error':
			return { kind: 'server-error', status: d.pick(SERVER_ERRORS), count: d.int(1, 3) };
	}
}

/** One image fault, preceded by a cut when it needs a resumed download to act on. */
export function randomImageFaults(d: Dice, imageSize: number): ImageFault[] {
	const somewhere = () => d.int(1, imageSize - 1);
	const kind = d.pick(['cut', 'stall', 'truncate', 'corrupt', 'wrong-length', 'full-body', 'etag-change', 'server-error', 'trickle'] as const);
	switch (kind) {
		case 'cut':
		case 'stall':
		case 'truncate':
		case 'corrupt':
			return [{ kind, at: d.int(0, imageSize - 1) }];
		case 'wrong-length':
			return [{ kind, delta: (d.chance(0.5) ? 1 : -1) * d.int(1, 8192) }];
		case 'full-body':
			return [{ kind: 'cut', at: somewhere() }, { kind }];
		case 'etag-change':
			return d.chance(0.5) ? [{ kind, cutAt: somewhere() }] : [{ kind: 'cut', at: somewhere() }, { kind }];
		case 'server-error':
			return [{ kind, status: d.pick(SERVER_ERRORS), count: d.int(1, 10) }];
		case 'trickle': {
			const bytes = d.int(1024, 32 * 1024);
			const piece = d.int(16, 1024);
			const pieces = Math.ceil(bytes / piece);
			return [{ kind, bytes, piece, delay: Math.min(d.int(0, 5), Math.floor(MAX_TRICKLE_MS / pieces)) }];
		}
	}
}
