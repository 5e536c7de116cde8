import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ImageCache } from '../../simulator/cloud/image-cache';

/** Write a file last modified a minute ago: old enough for the cache to keep. */
function writeOld(file: string, bytes: Uint8Array): void {
	fs.writeFileSync(file, bytes);
	const then = new Date(Date.now() - 60_000);
	fs.utimesSync(file, then, then);
}

function folder(t: { teardown(fn: () => void): void }): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-image-cache-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	return dir;
}

test('a small image is read once and then served from memory', async (t) => {
	const file = path.join(folder(t), 'a.bin');
	writeOld(file, Buffer.from('firmware one'));
	const cache = new ImageCache();
	const first = await cache.read(file, fs.statSync(file));
	t.is(first?.toString(), 'firmware one');
	// Removing the file shows the second read did not touch it.
	const stats = fs.statSync(file);
	fs.rmSync(file);
	t.is((await cache.read(file, stats))?.toString(), 'firmware one');
	t.is(cache.size, 1);
});

test('an image changed at rest is read again, never served stale', async (t) => {
	const file = path.join(folder(t), 'a.bin');
	writeOld(file, Buffer.from('firmware one'));
	const cache = new ImageCache();
	await cache.read(file, fs.statSync(file));
	const bytes = fs.readFileSync(file);
	bytes[0] ^= 0xff;
	fs.writeFileSync(file, bytes);
	const again = await cache.read(file, fs.statSync(file));
	t.deepEqual(again, bytes);
	t.is(cache.size, 0, 'a file modified just now is not kept');
});

test('an image above the item limit is left to streaming; the total stays bounded', async (t) => {
	const dir = folder(t);
	const cache = new ImageCache({ maxItemBytes: 100, maxTotalBytes: 250 });
	const big = path.join(dir, 'big.bin');
	fs.writeFileSync(big, Buffer.alloc(101));
	t.is(await cache.read(big, fs.statSync(big)), undefined);
	for (const name of ['a', 'b', 'c']) {
		const file = path.join(dir, `${name}.bin`);
		writeOld(file, Buffer.alloc(100, name));
		t.is((await cache.read(file, fs.statSync(file)))?.length, 100);
	}
	t.is(cache.size, 2, 'the entry used longest ago made room');
});
