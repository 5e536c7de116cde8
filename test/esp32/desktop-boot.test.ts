/*
 * The desktop builds' simulated bootloader (boot-record.ts) and flash folder (desktop-boot.ts):
 * activation, trial boot, confirm, rollback, and a trial that is never confirmed.
 */
import test from 'ava';
import { makeImage } from '../../simulator/image';
import { boot, activate, confirm, freshRecord, invalidate, parseRecord, rollback, versionOf, type BootRecord } from '../../hosts/esp32/boot-record';
import { bootDesktop, type FlashFiles } from '../../hosts/esp32/desktop-boot';
import { readSimHeader } from '../../hosts/esp32/sim-image';
import { createPartitionFlash, type Partition } from '../../hosts/esp32/partition-flash';

/** A flash folder in memory; slot files keep their bytes across "power cycles". */
function memoryFiles() {
	const texts = new Map<string, string>();
	const slots = new Map<string, Uint8Array>();
	const files: FlashFiles = {
		read: (name) => texts.get(name),
		write: (name, text) => void texts.set(name, text),
		partition(name, size, blockLength): Partition {
			const bytes = slots.get(name) ?? new Uint8Array(size).fill(0xff);
			slots.set(name, bytes);
			return {
				size,
				blockLength,
				read: (n, o) => bytes.slice(o, o + n).buffer,
				write: (b, o) => b.forEach((v, i) => (bytes[o + i] &= v)),
				eraseBlock: (block) => void bytes.fill(0xff, block * blockLength, (block + 1) * blockLength),
				close: () => {},
			};
		},
	};
	return { files, texts, slots };
}

const options = { slotSize: 256 * 1024, builtinVersion: '1.0.0' };

function install(files: FlashFiles, version: string): void {
	const device = bootDesktop(files, options);
	const image = makeImage({ product: 'sensor', version }, 20_000);
	const writer = createPartitionFlash(device).openInactive(image.length);
	writer.write(image, 0);
	writer.activate();
	writer.close();
}

test('the built-in firmware boots first, confirmed, as the configured version', (t) => {
	const { files, texts } = memoryFiles();
	const device = bootDesktop(files, options);
	t.is(device.runningSlot, 0);
	t.is(device.version, '1.0.0');
	t.is(device.runningState(), 'confirmed');
	t.false(device.rolledBack);
	t.deepEqual(JSON.parse(texts.get('boot.json')!), freshRecord());
});

test('an activated image boots next on trial as its own version; confirm keeps it', (t) => {
	const { files } = memoryFiles();
	install(files, '1.1.0');
	const trial = bootDesktop(files, options);
	t.is(trial.runningSlot, 1);
	t.is(trial.version, '1.1.0');
	t.is(trial.runningState(), 'trial');
	createPartitionFlash(trial).confirm();
	t.is(trial.runningState(), 'confirmed');
	const later = bootDesktop(files, options);
	t.is(later.version, '1.1.0');
	t.is(later.runningState(), 'confirmed');
});

test('a trial that restarts without a confirm goes back to the previous firmware for good', (t) => {
	const { files } = memoryFiles();
	install(files, '1.1.0');
	t.is(bootDesktop(files, options).runningState(), 'trial');
	const after = bootDesktop(files, options);
	t.true(after.rolledBack);
	t.is(after.runningSlot, 0);
	t.is(after.version, '1.0.0');
	t.is(after.runningState(), 'confirmed');
	t.is(bootDesktop(files, options).version, '1.0.0', 'and stays there');
});

test('rollback from a trial returns to the previous slot at the next boot', (t) => {
	const { files } = memoryFiles();
	install(files, '1.1.0');
	const trial = bootDesktop(files, options);
	createPartitionFlash(trial).rollback();
	const after = bootDesktop(files, options);
	t.is(after.version, '1.0.0');
	t.false(after.rolledBack, 'it was the app that went back, not the bootloader');
});

test('activation refuses a slot that holds no simulated image (the bootloader check)', (t) => {
	const { files } = memoryFiles();
	const device = bootDesktop(files, options);
	const writer = createPartitionFlash(device).openInactive(5000);
	writer.write(new Uint8Array(5000).fill(0x42), 0);
	t.throws(() => writer.activate(), { message: /slot1 holds no bootable image/ });
	t.is(bootDesktop(files, options).version, '1.0.0');
});

test('the slot being overwritten can no longer be rolled back to', (t) => {
	const { files } = memoryFiles();
	install(files, '1.1.0');
	createPartitionFlash(bootDesktop(files, options)).confirm();
	install(files, '1.2.0');
	const trial = bootDesktop(files, options);
	t.is(trial.version, '1.2.0');
	// Slot 1 (1.1.0) is the rollback target; starting to write it takes that away.
	const writer = createPartitionFlash(trial);
	t.throws(() => writer.openInactive(100), { message: /on trial/ });
	writer.confirm();
	const next = writer.openInactive(100);
	next.write(new Uint8Array(100), 0);
	next.close();
	t.throws(() => createPartitionFlash(bootDesktop(files, options)).rollback(), { message: /holds no firmware to roll back to/ });
});

// The record functions refuse what ESP-IDF would refuse: [what, the call]
const refusals: [string, (r: BootRecord) => unknown, RegExp][] = [
	['overwriting the active slot', (r) => invalidate(r, 0), /boots/],
	['confirming a slot that is not active', (r) => confirm(r, 1), /not the active slot/],
	['rolling back with no other firmware', (r) => rollback(r, 0), /no firmware to roll back to/],
	['running an empty slot', (r) => versionOf(r.slots[1], '1.0.0'), /does not run/],
];
for (const [name, call, message] of refusals) {
	test(`the boot record refuses ${name}`, (t) => {
		t.throws(() => call(freshRecord()), { message });
	});
}

test('a damaged boot record is an error, never a silent reformat', (t) => {
	t.throws(() => parseRecord('{'), { message: /not JSON/ });
	t.throws(() => parseRecord('{"active":2,"state":"valid","slots":[]}'), { message: /damaged/ });
	const { files, texts } = memoryFiles();
	texts.set('boot.json', '{"active":0}');
	t.throws(() => bootDesktop(files, options), { message: /damaged/ });
});

test('with no bootable slot at all the bootloader says so', (t) => {
	const record: BootRecord = { active: 1, state: 'valid', slots: [{ kind: 'invalid' }, { kind: 'empty' }] };
	t.throws(() => boot(record), { message: /no bootable firmware/ });
	const pending = activate(freshRecord(), 1, 10, '2.0.0');
	t.is(boot(pending).state, 'trial');
});

test('simulated image headers are read as the simulator writes them', (t) => {
	t.deepEqual(readSimHeader(makeImage({ product: 'sensör', version: '1.2.3-beta.1' }, 200)), { product: 'sensör', version: '1.2.3-beta.1' });
	t.is(readSimHeader(new Uint8Array(200)), undefined);
	const truncated = makeImage({ product: 'p', version: '1.0.0' }, 100).subarray(0, 20);
	t.is(readSimHeader(truncated), undefined);
	const bad = makeImage({ product: 'p', version: '1.0.0' }, 100);
	bad[12] = 0xff;
	t.is(readSimHeader(bad), undefined, 'not UTF-8');
});

test('the slot size must be whole erase units', (t) => {
	t.throws(() => bootDesktop(memoryFiles().files, { slotSize: 1000, builtinVersion: '1.0.0' }), { instanceOf: RangeError });
});
