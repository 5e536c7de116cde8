import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileMedium, memoryMedium, type FlashMedium } from '../../hosts/sim/flash/medium';

const MiB = 1024 * 1024;

function tempDir(t: { teardown(fn: () => void): void }): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-medium-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	return dir;
}

const erased = (n: number) => new Uint8Array(n).fill(0xff);

// Both media must read the same bytes back after the same stores.
const MEDIA: [string, (t: { teardown(fn: () => void): void }, size: number) => FlashMedium][] = [
	['file', (t, size) => fileMedium(path.join(tempDir(t), 'slot.bin'), size)],
	['memory', (_t, size) => memoryMedium(size)],
];

for (const [name, make] of MEDIA) {
	test(`${name}: never-written bytes read as 0xFF, stored bytes read back as stored`, (t) => {
		const medium = make(t, 64 * 1024);
		t.deepEqual(medium.read(0, 16), erased(16));
		t.deepEqual(medium.read(64 * 1024 - 3, 3), erased(3));
		medium.store(5000, Uint8Array.of(1, 2, 0, 0xff, 4));
		t.deepEqual(medium.read(4998, 9), Uint8Array.of(0xff, 0xff, 1, 2, 0, 0xff, 4, 0xff, 0xff));
		// A store is raw: it can set bits back to 1, unlike a NOR write.
		medium.store(5000, Uint8Array.of(0xff, 0xff));
		t.deepEqual(medium.read(5000, 3), Uint8Array.of(0xff, 0xff, 0));
	});

	test(`${name}: a store across chunk boundaries and far past the written end reads back whole`, (t) => {
		const medium = make(t, 256 * 1024);
		const bytes = new Uint8Array(10_000).map((_, i) => i * 7);
		medium.store(3000, bytes);
		medium.store(200_000, Uint8Array.of(0x00, 0x11));
		t.deepEqual(medium.read(3000, bytes.length), bytes);
		// The gap between the two stores is erased flash, not zeros.
		t.deepEqual(medium.read(13_000, 187_000), erased(187_000));
		t.deepEqual(medium.read(200_000, 3), Uint8Array.of(0x00, 0x11, 0xff));
	});

	test(`${name}: reads and stores outside the medium are RangeErrors`, (t) => {
		const medium = make(t, 4096);
		// [offset, length]: each reaches outside a 4096-byte medium or is not a byte count.
		const outside: [number, number][] = [[4096, 1], [4090, 7], [-1, 1], [0, -1], [0.5, 1], [Number.NaN, 1]];
		for (const [offset, length] of outside) {
			t.throws(() => medium.read(offset, length), { instanceOf: RangeError, message: /outside the 4096-byte medium/ }, `read ${offset}+${length}`);
			if (length >= 0) t.throws(() => medium.store(offset, new Uint8Array(length)), { instanceOf: RangeError }, `store ${offset}+${length}`);
		}
		t.throws(() => make(t, 0), { instanceOf: RangeError, message: /positive integer/ });
	});
}

test('file: a 16 MiB slot holding a 64 KiB image takes about 64 KiB of disk, and erasing blank flash takes none', (t) => {
	const file = path.join(tempDir(t), 'slot1.bin');
	const medium = fileMedium(file, 16 * MiB);
	t.is(fs.statSync(file).size, 0, 'created empty');
	// Erasing never-written sectors stores 0xFF past the end: nothing to write.
	for (let sector = 0; sector < 4096; sector++) medium.store(sector * 4096, erased(4096));
	t.is(fs.statSync(file).size, 0);
	medium.store(0, new Uint8Array(64 * 1024).fill(0x5a));
	t.is(fs.statSync(file).size, 64 * 1024);
	// Trailing 0xFF of a store past the end is not written either.
	medium.store(64 * 1024, Uint8Array.of(1, 0xff, 0xff, 0xff));
	t.is(fs.statSync(file).size, 64 * 1024 + 1);
	// Erasing written sectors overwrites them in place.
	medium.store(0, erased(4096));
	t.is(fs.statSync(file).size, 64 * 1024 + 1);
	t.deepEqual(medium.read(4090, 8), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5a, 0x5a));
});

test('file: the medium survives reopening, and a file larger than its region is refused', (t) => {
	const file = path.join(tempDir(t), 'otadata.bin');
	fileMedium(file, 8192).store(4096, Uint8Array.of(9, 8, 7));
	t.deepEqual(fileMedium(file, 8192).read(4096, 4), Uint8Array.of(9, 8, 7, 0xff));
	t.throws(() => fileMedium(file, 4096), { message: /holds 4099 bytes, more than its 4096-byte region/ });
});

test('memory: only chunks holding data take memory; erasing a whole chunk frees it', (t) => {
	const medium = memoryMedium(16 * MiB);
	t.is(medium.allocatedBytes, 0);
	medium.store(0, erased(64 * 1024));
	t.is(medium.allocatedBytes, 0, 'storing 0xFF over blank flash allocates nothing');
	medium.store(0, new Uint8Array(64 * 1024).fill(1));
	t.is(medium.allocatedBytes, 64 * 1024);
	medium.store(4096, erased(4096));
	t.is(medium.allocatedBytes, 60 * 1024);
	t.deepEqual(medium.read(4095, 2), Uint8Array.of(1, 0xff));
	// A partial erase keeps the chunk: the rest of it still holds data.
	medium.store(0, erased(100));
	t.is(medium.allocatedBytes, 60 * 1024);
	t.deepEqual(medium.read(99, 2), Uint8Array.of(0xff, 1));
});
