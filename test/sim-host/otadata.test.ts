import test from 'ava';
import { crc32 } from '../../hosts/sim/flash/crc32';
import { Otadata, encodeEntry, decodeEntry, ENTRY_BYTES, type OtaEntry, type OtaState } from '../../hosts/sim/flash/otadata';
import { CutAtOperation, PowerCut, type FaultInjector } from '../../hosts/sim/flash/faults';
import { memoryDevice } from './flash-device';

const otadataOf = (device: ReturnType<typeof memoryDevice>, faults?: FaultInjector) => new Otadata(device.power(faults).otadata);

test('crc32 matches the IEEE check values', (t) => {
	// [input, CRC-32]: the standard check value and two edge cases.
	const table: [string, number][] = [['123456789', 0xcbf43926], ['', 0], ['a', 0xe8b7be43]];
	for (const [text, crc] of table) t.is(crc32(new TextEncoder().encode(text)), crc, text);
});

test('entries encode to 16 bytes and decode back; blank, flipped or out-of-range copies decode to nothing', (t) => {
	const entry: OtaEntry = { seq: 7, slot: 1, state: 'PENDING_VERIFY' };
	const bytes = encodeEntry(entry);
	t.is(bytes.length, ENTRY_BYTES);
	t.deepEqual(decodeEntry(bytes), entry);
	t.is(decodeEntry(new Uint8Array(16).fill(0xff)), undefined, 'erased');
	t.is(decodeEntry(new Uint8Array(16)), undefined, 'zeros');
	for (let bit = 0; bit < 128; bit++) {
		const flipped = bytes.slice();
		flipped[bit >> 3] ^= 1 << (bit & 7);
		t.is(decodeEntry(flipped), undefined, `bit ${bit} flipped`);
	}
	// A CRC-correct entry with a slot or state that does not exist is still refused.
	const forged = (slot: number, state: number) => {
		const b = new Uint8Array(16);
		const view = new DataView(b.buffer);
		view.setUint32(0, 1, true);
		view.setUint32(4, slot, true);
		view.setUint32(8, state, true);
		view.setUint32(12, crc32(b.subarray(0, 12)), true);
		return b;
	};
	t.truthy(decodeEntry(forged(1, 4)));
	t.is(decodeEntry(forged(2, 0)), undefined);
	t.is(decodeEntry(forged(0, 5)), undefined);
});

test('blank otadata holds no entry; each write alternates sectors and raises seq', (t) => {
	const device = memoryDevice();
	const otadata = otadataOf(device);
	t.is(otadata.read(), undefined);
	t.deepEqual(otadata.copies(), [undefined, undefined]);
	t.deepEqual(otadata.write(1, 'NEW'), { seq: 1, slot: 1, state: 'NEW' });
	t.deepEqual(otadata.copies(), [{ seq: 1, slot: 1, state: 'NEW' }, undefined]);
	otadata.write(1, 'PENDING_VERIFY');
	t.deepEqual(otadata.copies(), [{ seq: 1, slot: 1, state: 'NEW' }, { seq: 2, slot: 1, state: 'PENDING_VERIFY' }]);
	otadata.write(1, 'VALID');
	t.deepEqual(otadata.copies(), [{ seq: 3, slot: 1, state: 'VALID' }, { seq: 2, slot: 1, state: 'PENDING_VERIFY' }]);
	t.deepEqual(otadataOf(device).read(), { seq: 3, slot: 1, state: 'VALID' }, 'a fresh reader sees the same entry');
	t.throws(() => otadata.write(2 as 0, 'VALID'), { instanceOf: RangeError, message: /slot must be 0 or 1/ });
	t.throws(() => otadata.write(0, 'GOOD' as OtaState), { instanceOf: RangeError, message: /unknown otadata state GOOD/ });
});

test('a garbage copy is ignored and overwritten first', (t) => {
	const device = memoryDevice();
	otadataOf(device).write(0, 'VALID');
	device.media.otadata.store(1024, new Uint8Array(1024).map((_, i) => (i * 31) & 0xff));
	const otadata = otadataOf(device);
	t.deepEqual(otadata.read(), { seq: 1, slot: 0, state: 'VALID' });
	otadata.write(1, 'NEW');
	t.deepEqual(otadata.copies(), [{ seq: 1, slot: 0, state: 'VALID' }, { seq: 2, slot: 1, state: 'NEW' }]);
});

// An entry write is two operations: erase the spare sector (1), write the entry (2). Every way
// the power can fail inside it: [name, fault injector].
// The third column is how many bytes of the entry land (undefined: the write never starts).
const CUTS: [string, () => FaultInjector, number | undefined][] = [
	['cut before the erase', () => new CutAtOperation(1), undefined],
	['cut before the write', () => new CutAtOperation(2), undefined],
	...Array.from({ length: ENTRY_BYTES + 1 }, (_, tear): [string, () => FaultInjector, number] => [
		`write torn after ${tear} bytes`,
		() => {
			let n = 0;
			return { operation: () => (++n === 2 ? { tear } : undefined) };
		},
		tear,
	]),
];

test('a power cut at any point of an entry write leaves the old entry or the new one in force, never garbage', (t) => {
	// Histories before the cut write: blank, one entry (spare sector blank), and several (spare holds an older entry).
	const histories: [SlotAndState[], SlotAndState][] = [
		[[], [1, 'NEW']],
		[[[1, 'NEW']], [1, 'PENDING_VERIFY']],
		[[[1, 'NEW'], [1, 'PENDING_VERIFY']], [1, 'ABORTED']],
		[[[1, 'NEW'], [1, 'PENDING_VERIFY'], [1, 'VALID']], [0, 'NEW']],
	];
	for (const [history, [slot, state]] of histories) {
		for (const [name, faults, landed] of CUTS) {
			const device = memoryDevice();
			const setup = otadataOf(device);
			for (const [s, st] of history) setup.write(s, st);
			const before = setup.read();
			const next: OtaEntry = { seq: (before?.seq ?? 0) + 1, slot, state };
			let cut = false;
			try {
				otadataOf(device, faults()).write(slot, state);
			} catch (error) {
				if (!(error instanceof PowerCut)) throw error;
				cut = true;
			}
			const after = otadataOf(device).read();
			const label = `${history.length} entries before, ${name}`;
			t.true(cut, `${label}: the power was cut`);
			if (after === undefined) t.is(before, undefined, `${label}: blank only when it was blank`);
			else t.true(sameEntry(after, before) || sameEntry(after, next), `${label}: ${JSON.stringify(after)}`);
			// Exactly: the new entry is in force only when the bytes that landed (the rest still
			// erased) make a whole entry, which is always so at 16 bytes and by chance before.
			const partial = encodeEntry(next).map((b, i) => (landed !== undefined && i < landed ? b : 0xff));
			const expected = landed !== undefined && decodeEntry(partial) ? next : before;
			t.deepEqual(after, expected, label);
			if (landed === ENTRY_BYTES) t.deepEqual(after, next, `${label}: a whole entry is in force`);
			// Whatever the cut left, the next write succeeds and wins.
			const otadata = otadataOf(device);
			const written = otadata.write(0, 'VALID');
			t.deepEqual(otadataOf(device).read(), written, `${label}: the next write is in force`);
		}
	}
});

type SlotAndState = [0 | 1, OtaState];

function sameEntry(a: OtaEntry | undefined, b: OtaEntry | undefined): boolean {
	return a !== undefined && b !== undefined && a.seq === b.seq && a.slot === b.slot && a.state === b.state;
}
