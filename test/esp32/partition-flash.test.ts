/*
 * The ESP32 host's FlashPort over a raw OTA partition (a fake NOR flash here): erase on the first
 * write into a unit, kept units never erased, writes in whole 16-byte units, trial and size rules.
 */
import test from 'ava';
import type { RunningState } from '../../modules/ports';
import { createPartitionFlash, type BootControl, type Partition } from '../../hosts/esp32/partition-flash';

/** NOR flash: erase sets 0xFF, a write ANDs (bits only go from 1 to 0). Records what was done. */
class FakeNor implements Partition {
	readonly size: number;
	readonly blockLength = 4096;
	bytes: Uint8Array;
	erases: number[] = [];
	writes: [offset: number, length: number][] = [];
	closed = false;

	constructor(size: number, fill = 0x00) {
		this.size = size;
		this.bytes = new Uint8Array(size).fill(fill);
	}

	read(byteLength: number, byteOffset: number): ArrayBuffer {
		return this.bytes.slice(byteOffset, byteOffset + byteLength).buffer;
	}

	write(bytes: Uint8Array, byteOffset: number): void {
		if (byteOffset + bytes.length > this.size) throw new RangeError('past the partition');
		this.writes.push([byteOffset, bytes.length]);
		for (let i = 0; i < bytes.length; i++) this.bytes[byteOffset + i] &= bytes[i];
	}

	eraseBlock(block: number): void {
		this.erases.push(block);
		this.bytes.fill(0xff, block * this.blockLength, (block + 1) * this.blockLength);
	}

	close(): void {
		this.closed = true;
	}
}

function control(nor: FakeNor, state: RunningState = 'confirmed') {
	const calls: string[] = [];
	let running = state;
	const boot: BootControl = {
		inactiveLabel: () => 'ota_1',
		openInactive: () => {
			nor.closed = false;
			return nor;
		},
		activate: (length) => calls.push(`activate ${length}`),
		runningState: () => running,
		confirm: () => {
			calls.push('confirm');
			running = 'confirmed';
		},
		rollback: () => calls.push('rollback'),
		invalidateInactive: () => calls.push('invalidate'),
	};
	return { boot, calls };
}

const image = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function writeInPieces(writer: { write(b: Uint8Array, o: number): void }, data: Uint8Array, from: number, piece: number): void {
	for (let at = from; at < data.length; at += piece) writer.write(data.subarray(at, Math.min(data.length, at + piece)), at);
}

test('an image written in odd pieces reads back, and flash only ever sees whole 16-byte units', (t) => {
	const nor = new FakeNor(64 * 1024);
	const { boot, calls } = control(nor);
	const flash = createPartitionFlash(boot);
	const data = image(10_001);
	const writer = flash.openInactive(data.length);
	t.is(writer.label, 'ota_1');
	t.is(writer.eraseSize, 4096);
	t.is(writer.size, 64 * 1024);
	writeInPieces(writer, data, 0, 1000 + 7);
	t.deepEqual(new Uint8Array(writer.read(0, data.length)), data, 'the bytes still in RAM read back too');
	writer.activate();
	t.deepEqual(nor.bytes.subarray(0, data.length), data);
	t.deepEqual([...nor.bytes.subarray(data.length, data.length + 15)], new Array(15).fill(0xff), 'the last unit is padded with the erased value');
	for (const [offset, length] of nor.writes) t.true(offset % 16 === 0 && length % 16 === 0, `write of ${length} at ${offset}`);
	t.deepEqual(nor.erases, [0, 1, 2]);
	t.deepEqual(calls, ['invalidate', 'activate 10001']);
	writer.close();
	t.true(nor.closed);
});

test('nothing is erased by opening the slot; kept units are never erased or written', (t) => {
	const nor = new FakeNor(64 * 1024);
	const data = image(20_000);
	nor.bytes.fill(0xff);
	nor.bytes.set(data.subarray(0, 8192));
	const { boot } = control(nor);
	const writer = createPartitionFlash(boot).openInactive(data.length, 8192);
	t.deepEqual(nor.erases, [], 'open erases nothing');
	t.deepEqual(new Uint8Array(writer.read(0, 8192)), data.subarray(0, 8192), 'the kept bytes read back to rebuild the hash');
	t.throws(() => writer.write(data.subarray(4096, 4200), 4096), { instanceOf: RangeError, message: /kept/ });
	writeInPieces(writer, data, 8192, 1500);
	writer.close();
	t.deepEqual(nor.erases, [2, 3, 4]);
	t.deepEqual(nor.bytes.subarray(0, data.length), data);
});

test('a download that starts over in the same writer erases its units again', (t) => {
	const nor = new FakeNor(64 * 1024);
	const { boot } = control(nor);
	const writer = createPartitionFlash(boot).openInactive(10_000);
	writeInPieces(writer, image(6000, 1), 0, 1000);
	writeInPieces(writer, image(10_000, 2), 0, 1000);
	writer.close();
	t.deepEqual(nor.bytes.subarray(0, 10_000), image(10_000, 2), 'no bits of the first attempt survive');
});

// Writes the writer refuses: [what, image length, keep, the writes before, the bad write, error]
const refused: [string, number, number, [number, number][], [number, number], RegExp][] = [
	['past the image', 100, 0, [], [90, 20], /outside the 100-byte image/],
	['negative offset', 100, 0, [], [-1, 1], /outside/],
	['a gap', 10_000, 0, [[0, 100]], [200, 10], /neither continues/],
	['back into the middle of a unit', 10_000, 0, [[0, 5000]], [4200, 10], /neither continues/],
	['below keep', 10_000, 4096, [], [0, 10], /kept/],
];
for (const [name, length, keep, before, [offset, size], message] of refused) {
	test(`a write is refused: ${name}`, (t) => {
		const { boot } = control(new FakeNor(64 * 1024));
		const writer = createPartitionFlash(boot).openInactive(length, keep);
		for (const [o, n] of before) writer.write(image(n), o);
		t.throws(() => writer.write(image(Math.max(size, 0)), offset), { instanceOf: RangeError, message });
	});
}

// openInactive refusals, before anything is erased: [what, running state, length, keep, error class, message]
const opens: [string, RunningState, number, number, ErrorConstructor, RegExp][] = [
	['image larger than the slot', 'confirmed', 64 * 1024 + 1, 0, RangeError, /does not fit the 65536-byte ota_1/],
	['empty image', 'confirmed', 0, 0, RangeError, /positive integer/],
	['keep not a unit multiple', 'confirmed', 10_000, 100, RangeError, /multiple of the 4096-byte erase unit/],
	['keep past the image', 'confirmed', 1000, 4096, RangeError, /past the end/],
	['running on trial', 'trial', 1000, 0, Error, /on trial/],
];
for (const [name, state, length, keep, kind, message] of opens) {
	test(`opening the slot is refused: ${name}`, (t) => {
		const nor = new FakeNor(64 * 1024);
		const { boot } = control(nor, state);
		t.throws(() => createPartitionFlash(boot).openInactive(length, keep), { instanceOf: kind, message });
		t.deepEqual(nor.erases, []);
		t.deepEqual(nor.writes, []);
	});
}

test('after an activation or a rollback, nothing more is written until the restart', (t) => {
	const nor = new FakeNor(64 * 1024);
	const { boot, calls } = control(nor);
	const flash = createPartitionFlash(boot);
	const writer = flash.openInactive(100);
	writer.write(image(100), 0);
	writer.activate();
	t.throws(() => writer.write(image(1), 0), { message: /activated/ });
	t.throws(() => flash.openInactive(100), { message: /restart/ });
	t.throws(() => flash.rollback(), { message: /activated/ });
	t.deepEqual(calls, ['invalidate', 'activate 100']);

	const other = control(new FakeNor(64 * 1024));
	const flash2 = createPartitionFlash(other.boot);
	flash2.rollback();
	t.throws(() => flash2.openInactive(100), { message: /rolled back/ });
});

test('confirm passes to the platform only on a trial; a closed writer refuses everything', (t) => {
	const trial = control(new FakeNor(64 * 1024), 'trial');
	const flash = createPartitionFlash(trial.boot);
	t.is(flash.runningState(), 'trial');
	flash.confirm();
	flash.confirm();
	t.deepEqual(trial.calls, ['confirm']);
	t.is(flash.runningState(), 'confirmed');
	const writer = flash.openInactive(100);
	writer.close();
	writer.close();
	t.throws(() => writer.write(image(1), 0), { message: /closed/ });
	t.throws(() => writer.read(0, 1), { message: /closed/ });
});

test('align must be a power of two', (t) => {
	t.throws(() => createPartitionFlash(control(new FakeNor(4096)).boot, { align: 12 }), { instanceOf: RangeError });
});
