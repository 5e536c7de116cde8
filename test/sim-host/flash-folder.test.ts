import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatFlash, openFlashFolder, readBootState, readFlashLayout } from '../../hosts/sim/flash/flash-folder';
import { boot } from '../../hosts/sim/flash/bootloader';
import { createOtaFlash } from '../../hosts/sim/flash/ota-flash';
import { CutAtOperation, PowerCut } from '../../hosts/sim/flash/faults';
import { image, validateImage } from './flash-device';

const MiB = 1024 * 1024;

function tempDir(t: { teardown(fn: () => void): void }): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-flash-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	return path.join(dir, 'flash');
}

const sizes = (dir: string) => Object.fromEntries(fs.readdirSync(dir).map((name) => [name, fs.statSync(path.join(dir, name)).size]));

test('formatFlash: a 16 MiB layout with a 64 KiB factory image takes about 64 KiB of disk and boots it', (t) => {
	const dir = tempDir(t);
	const factory = image('1.0.0', 64 * 1024);
	t.deepEqual(formatFlash(dir, 16 * MiB, factory), { sectorSize: 4096, slotSize: 16 * MiB });
	t.deepEqual(sizes(dir), { 'layout.json': sizes(dir)['layout.json'], 'otadata.bin': 0, 'slot0.bin': 64 * 1024, 'slot1.bin': 0 });
	t.deepEqual(readFlashLayout(dir), { sectorSize: 4096, slotSize: 16 * MiB });
	t.deepEqual(readBootState(dir), { entry: undefined, nextSlot: 0, trial: false, runningSlot: 0 });
	t.like(boot(openFlashFolder(dir), validateImage), { slot: 0, state: 'confirmed', image: { version: '1.0.0' } });
});

test('an update on file flash: slot1 grows only as written, otadata names the slot through trial and confirm', (t) => {
	const dir = tempDir(t);
	formatFlash(dir, 16 * MiB, image('1.0.0', 64 * 1024));
	const update = image('1.1.0', 100_000);
	const writer = createOtaFlash(openFlashFolder(dir), 0, 'confirmed').openInactive(update.length);
	for (let at = 0; at < update.length; at += 4096) writer.write(update.subarray(at, at + 4096), at);
	t.is(sizes(dir)['slot1.bin'], 100_000);
	writer.activate();
	t.like(readBootState(dir), { entry: { seq: 1, slot: 1, state: 'NEW' }, nextSlot: 1, trial: true, runningSlot: 0 });
	const booted = boot(openFlashFolder(dir), validateImage);
	t.like(booted, { slot: 1, state: 'trial', image: { version: '1.1.0', length: 100_000 } });
	t.like(readBootState(dir), { entry: { state: 'PENDING_VERIFY' }, nextSlot: 0, trial: false, runningSlot: 1 });
	createOtaFlash(openFlashFolder(dir), 1, 'trial').confirm();
	t.like(readBootState(dir), { entry: { seq: 3, slot: 1, state: 'VALID' }, nextSlot: 1, runningSlot: 1 });
	t.is(sizes(dir)['otadata.bin'], 4096 + 16, 'two sectors, the second written up to its entry');
});

test('a torn otadata write on file flash leaves the record blank and the factory image booting', (t) => {
	const dir = tempDir(t);
	formatFlash(dir, 64 * 1024, image('1.0.0'));
	const update = image('1.1.0');
	const writer = createOtaFlash(openFlashFolder(dir), 0, 'confirmed').openInactive(update.length);
	writer.write(update, 0);
	// The erase of the spare otadata sector happens, the entry write is torn: the record stays blank.
	const flash = createOtaFlash(openFlashFolder(dir, new CutAtOperation(2, { tear: 'half' })), 0, 'confirmed');
	const torn = flash.openInactive(update.length, 4096);
	t.throws(() => torn.activate(), { instanceOf: PowerCut });
	t.is(readBootState(dir).entry, undefined);
	t.like(boot(openFlashFolder(dir), validateImage), { slot: 0, image: { version: '1.0.0' } });
});

test('formatFlash and openFlashFolder refuse bad layouts and missing flash with clear errors', (t) => {
	const dir = tempDir(t);
	t.throws(() => formatFlash(dir, 200_000, image('1.0.0')), { instanceOf: RangeError, message: /slot size must be a positive multiple of the 4096-byte sector, not 200000/ });
	t.throws(() => formatFlash(dir, 8192, image('1.0.0', 10_000)), { instanceOf: RangeError, message: /factory image of 10000 bytes does not fit a 8192-byte slot/ });
	t.throws(() => formatFlash(dir, 8192, image('1.0.0'), 1000), { instanceOf: RangeError, message: /power of two/ });
	t.throws(() => openFlashFolder(path.join(dir, 'nowhere')), { message: /holds no flash \(no layout.json\)/ });
	formatFlash(dir, 8192, image('1.0.0'));
	fs.writeFileSync(path.join(dir, 'layout.json'), '{"sectorSize": 4096}');
	t.throws(() => readFlashLayout(dir), { message: /corrupt flash layout .*slot size must be/ });
	fs.writeFileSync(path.join(dir, 'layout.json'), '{"sectorSize": 4096, "slotSize": 4096}');
	t.throws(() => openFlashFolder(dir), { message: /holds 5000 bytes, more than its 4096-byte region/ });
});

test('formatFlash over an existing flash folder starts blank again', (t) => {
	const dir = tempDir(t);
	formatFlash(dir, 64 * 1024, image('1.0.0'));
	createOtaFlash(openFlashFolder(dir), 0, 'confirmed').openInactive(5000).activate();
	t.truthy(readBootState(dir).entry);
	formatFlash(dir, 32 * 1024, image('2.0.0'));
	t.deepEqual(readBootState(dir), { entry: undefined, nextSlot: 0, trial: false, runningSlot: 0 });
	t.like(boot(openFlashFolder(dir), validateImage), { slot: 0, image: { version: '2.0.0' } });
});
