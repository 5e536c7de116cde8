import test from 'ava';
import { createOtaFlash, runningFromEntry } from '../../hosts/sim/flash/ota-flash';
import { boot } from '../../hosts/sim/flash/bootloader';
import { bootStateOf } from '../../hosts/sim/flash/flash-folder';
import { Otadata, type OtaEntry } from '../../hosts/sim/flash/otadata';
import { CutAtOperation, OperationCounter, PowerCut, type FaultInjector } from '../../hosts/sim/flash/faults';
import type { FlashRegions } from '../../hosts/sim/flash/layout';
import { image, memoryDevice, validateImage, type MemoryDevice, LAYOUT } from './flash-device';

const NEW_IMAGE = image('1.1.0');

/** Power on: run the bootloader and hand the running slot to a FlashPort, as the simulator does. */
function powerOn(device: MemoryDevice, faults?: FaultInjector) {
	const regions = device.power(faults);
	const booted = boot(regions, validateImage);
	return { regions, booted, flash: createOtaFlash(regions, booted.slot, booted.state, { validate: validateImage }) };
}

function install(flash: ReturnType<typeof powerOn>['flash'], bytes: Uint8Array, chunk = 700) {
	const writer = flash.openInactive(bytes.length);
	for (let at = 0; at < bytes.length; at += chunk) writer.write(bytes.subarray(at, at + chunk), at);
	writer.activate();
	writer.close();
	return writer;
}

const entryOf = (regions: FlashRegions) => new Otadata(regions.otadata).read();
const slotBytes = (device: MemoryDevice, slot: 0 | 1, length: number) => device.media.slots[slot].read(0, length);

test('an update: write the inactive slot, read it back, activate, boot on trial, confirm', (t) => {
	const device = memoryDevice('1.0.0');
	const { flash, regions } = powerOn(device);
	t.is(flash.runningState(), 'confirmed');
	t.is(flash.runningSlot, 0);
	const writer = flash.openInactive(NEW_IMAGE.length);
	t.like(writer, { label: 'slot1', size: LAYOUT.slotSize, eraseSize: LAYOUT.sectorSize });
	for (let at = 0; at < NEW_IMAGE.length; at += 999) writer.write(new Uint8Array(NEW_IMAGE.subarray(at, at + 999)).buffer, at);
	t.deepEqual(new Uint8Array(writer.read(0, NEW_IMAGE.length)), new Uint8Array(NEW_IMAGE));
	t.is(entryOf(regions), undefined, 'nothing names the new slot before activate()');
	writer.activate();
	writer.activate();
	t.like(entryOf(regions), { seq: 1, slot: 1, state: 'NEW' }, 'activate() twice writes one entry');
	t.like(bootStateOf(regions), { nextSlot: 1, trial: true, runningSlot: 0 });
	writer.close();
	writer.close();
	t.throws(() => writer.write(new Uint8Array(1), 0), { message: /cannot write to slot1: it is closed/ });

	const trial = powerOn(device);
	t.like(trial.booted, { slot: 1, state: 'trial', rolledBack: false });
	t.is(trial.booted.image.version, '1.1.0');
	t.is(trial.flash.runningState(), 'trial');
	trial.flash.confirm();
	t.is(trial.flash.runningState(), 'confirmed');
	t.like(entryOf(trial.regions), { slot: 1, state: 'VALID' });
	const counter = new OperationCounter();
	createOtaFlash(device.power(counter), 1, 'confirmed').confirm();
	t.is(counter.count, 0, 'confirming a confirmed slot writes nothing');
	t.like(powerOn(device).booted, { slot: 1, state: 'confirmed', rolledBack: false });
});

test('the writer erases each sector once, when the first write reaches it, and overwrites an old image exactly', (t) => {
	const device = memoryDevice('1.0.0');
	// An old image in slot 1 whose bits would survive a write without erase.
	device.media.slots[1].store(0, new Uint8Array(LAYOUT.slotSize).fill(0x00));
	const erased: number[] = [];
	let writes = 0;
	const regions = device.power({
		operation(kind, detail) {
			if (kind === 'erase') erased.push(Number(/sector (\d+)/.exec(detail)![1]));
			if (kind === 'write') writes++;
			return undefined;
		},
	});
	const flash = createOtaFlash(regions, 0, 'confirmed');
	const writer = flash.openInactive(NEW_IMAGE.length);
	t.deepEqual(erased, [], 'opening erases nothing');
	for (let at = 0; at < NEW_IMAGE.length; at += 100) writer.write(NEW_IMAGE.subarray(at, at + 100), at);
	t.deepEqual(erased, [0, 1, 2, 3, 4], 'sectors 0..4 hold the 5000 bytes; each erased once, in order');
	t.is(writes, 50);
	t.deepEqual(slotBytes(device, 1, NEW_IMAGE.length), new Uint8Array(NEW_IMAGE));
	t.deepEqual(device.media.slots[1].read(5120, 4), new Uint8Array(4), 'sectors past the image keep what they held');
});

test('keep: a reopen keeps the sectors below it byte for byte and a resume completes the image', (t) => {
	const device = memoryDevice('1.0.0');
	const { flash } = powerOn(device);
	// First session: 3500 bytes land (sector 3 partly), then the device restarts.
	const first = flash.openInactive(NEW_IMAGE.length);
	first.write(NEW_IMAGE.subarray(0, 3500), 0);
	first.close();
	const kept = slotBytes(device, 1, 3072);
	const erased: number[] = [];
	const regions = device.power({ operation: (kind, detail) => void (kind === 'erase' && erased.push(Number(/sector (\d+)/.exec(detail)![1]))) });
	const resumed = createOtaFlash(regions, 0, 'confirmed', { validate: validateImage }).openInactive(NEW_IMAGE.length, 3072);
	t.deepEqual(new Uint8Array(resumed.read(0, 3072)), kept, 'read back for the digest before writing');
	resumed.write(NEW_IMAGE.subarray(3072), 3072);
	t.deepEqual(erased, [3, 4], 'only sectors at or after keep were erased');
	t.deepEqual(slotBytes(device, 1, 3072), kept, 'kept bytes are unchanged');
	t.deepEqual(slotBytes(device, 1, NEW_IMAGE.length), new Uint8Array(NEW_IMAGE), 'the partial sector 3 was erased before the resume wrote it');
	t.throws(() => resumed.write(NEW_IMAGE.subarray(0, 10), 0), { instanceOf: RangeError, message: /falls in the 3072 bytes kept from before/ });
	t.throws(() => resumed.write(NEW_IMAGE.subarray(3000, 3100), 3000), { instanceOf: RangeError });
	resumed.activate();
	t.like(powerOn(device).booted, { slot: 1, state: 'trial', image: { version: '1.1.0' } });
});

test('keep equal to the image length writes nothing and keeps everything', (t) => {
	const device = memoryDevice('1.0.0');
	const { flash } = powerOn(device);
	install(flash, NEW_IMAGE.subarray(0, 4096));
	const before = slotBytes(device, 1, LAYOUT.slotSize);
	const counter = new OperationCounter();
	const writer = createOtaFlash(device.power(counter), 0, 'confirmed').openInactive(4096, 4096);
	t.throws(() => writer.write(new Uint8Array(1), 4095), { instanceOf: RangeError });
	t.throws(() => writer.write(new Uint8Array(1), 4096), { instanceOf: RangeError, message: /outside the 4096-byte image/ });
	t.is(counter.count, 0);
	t.deepEqual(slotBytes(device, 1, LAYOUT.slotSize), before);
});

test('openInactive refuses what cannot fit or cannot be kept, before anything is erased', (t) => {
	const device = memoryDevice('1.0.0');
	const counter = new OperationCounter();
	const flash = createOtaFlash(device.power(counter), 0, 'confirmed');
	// [byteLength, keep, message]: each is a RangeError.
	const bad: [number, number | undefined, RegExp][] = [
		[LAYOUT.slotSize + 1, undefined, /image of 16385 bytes does not fit the 16384-byte slot1/],
		[0, undefined, /image length must be a positive integer, not 0/],
		[-5, undefined, /positive integer/],
		[1.5, undefined, /positive integer/],
		[Number.NaN, undefined, /positive integer/],
		[5000, 1000, /keep must be a multiple of the 1024-byte erase size, not 1000/],
		[5000, -1024, /keep must be a multiple/],
		[5000, 6144, /keep \(6144\) is past the end of the 5000-byte image/],
		[LAYOUT.slotSize + 1, 1000, /does not fit/],
	];
	for (const [length, keep, message] of bad) {
		t.throws(() => flash.openInactive(length, keep), { instanceOf: RangeError, message }, `${length}, ${keep}`);
	}
	t.is(counter.count, 0, 'nothing was erased or written');
	const writer = flash.openInactive(LAYOUT.slotSize);
	t.is(writer.size, LAYOUT.slotSize, 'an image filling the whole slot fits');
	// [offset, length]: writes that leave the image.
	const outside: [number, number][] = [[LAYOUT.slotSize - 1, 2], [-1, 1], [0.5, 1]];
	for (const [offset, length] of outside) t.throws(() => writer.write(new Uint8Array(length), offset), { instanceOf: RangeError }, `${offset}+${length}`);
	t.throws(() => writer.read(LAYOUT.slotSize, 1), { instanceOf: RangeError });
	t.throws(() => writer.write('text' as unknown as Uint8Array, 0), { instanceOf: TypeError });
	t.is(counter.count, 0);
});

test('a trial slot cannot open the other slot (the rollback target) until it is confirmed', (t) => {
	const device = memoryDevice('1.0.0');
	install(powerOn(device).flash, NEW_IMAGE);
	const trial = powerOn(device);
	t.throws(() => trial.flash.openInactive(100), { message: /slot1 runs on trial: confirm\(\) or rollback\(\) before writing slot0/ });
	trial.flash.confirm();
	t.is(trial.flash.openInactive(100).label, 'slot0');
});

test('rollback() from a trial: the previous slot boots next, confirmed', (t) => {
	const device = memoryDevice('1.0.0');
	install(powerOn(device).flash, NEW_IMAGE);
	const trial = powerOn(device);
	trial.flash.rollback();
	t.like(entryOf(trial.regions), { slot: 0, state: 'VALID' });
	t.like(bootStateOf(trial.regions), { nextSlot: 0, trial: false });
	t.throws(() => trial.flash.confirm(), { message: /slot1 was rolled back: it cannot be confirmed/ });
	t.throws(() => trial.flash.openInactive(100), { message: /slot0 was rolled back to and boots next/ });
	const after = powerOn(device);
	t.like(after.booted, { slot: 0, state: 'confirmed', rolledBack: false, image: { version: '1.0.0' } });
});

test('rollback() needs a bootable image in the other slot, and a validator to know it', (t) => {
	const device = memoryDevice('1.0.0');
	const fresh = powerOn(device);
	t.throws(() => fresh.flash.rollback(), { message: 'no image to roll back to' });
	const corrupt = image('1.1.0');
	corrupt[200] ^= 1;
	install(fresh.flash, corrupt);
	const counter = new OperationCounter();
	const regions = device.power(counter);
	t.throws(() => createOtaFlash(regions, 0, 'confirmed', { validate: validateImage }).rollback(), { message: 'no image to roll back to' });
	t.throws(() => createOtaFlash(regions, 0, 'confirmed').rollback(), { message: /rollback needs an image validator/ });
	t.is(counter.count, 0, 'a refused rollback writes nothing');
});

test('the running slot and state follow from the entry the bootloader left in force', (t) => {
	// [entry in force, running slot, running state]
	const table: [OtaEntry | undefined, 0 | 1, 'trial' | 'confirmed'][] = [
		[undefined, 0, 'confirmed'],
		[{ seq: 1, slot: 1, state: 'NEW' }, 0, 'confirmed'],
		[{ seq: 2, slot: 1, state: 'PENDING_VERIFY' }, 1, 'trial'],
		[{ seq: 3, slot: 1, state: 'VALID' }, 1, 'confirmed'],
		[{ seq: 3, slot: 1, state: 'ABORTED' }, 0, 'confirmed'],
		[{ seq: 3, slot: 0, state: 'INVALID' }, 1, 'confirmed'],
	];
	for (const [entry, slot, state] of table) t.deepEqual(runningFromEntry(entry), { slot, state }, JSON.stringify(entry));
	const device = memoryDevice();
	t.throws(() => createOtaFlash(device.power(), 2 as 0, 'confirmed'), { instanceOf: RangeError });
	t.throws(() => createOtaFlash(device.power(), 0, 'maybe' as 'trial'), { instanceOf: RangeError });
});

/**
 * A whole update with its power cycles: boot 1.0.0, write and activate 1.1.0, boot the trial,
 * confirm it, boot again. Returns the operation count after each step.
 */
function fullUpdate(device: MemoryDevice, faults: FaultInjector, counter: () => number) {
	const marks: Record<string, number> = {};
	install(powerOn(device, faults).flash, NEW_IMAGE);
	marks.activated = counter();
	const trial = powerOn(device, faults);
	trial.flash.confirm();
	marks.confirmed = counter();
	powerOn(device, faults);
	return marks;
}

test('a power cut at every operation of an update, whole or torn, leaves a device that boots the old or the new firmware', (t) => {
	const counter = new OperationCounter();
	const marks = fullUpdate(memoryDevice('1.0.0'), counter, () => counter.count);
	t.true(counter.count > 10, `the update has ${counter.count} cut points`);
	t.is(counter.count, marks.confirmed, 'booting confirmed firmware writes nothing');
	for (const tear of ['none', 'half', 'random'] as const) {
		for (let n = 1; n <= counter.count; n++) {
			const device = memoryDevice('1.0.0');
			const cut = new CutAtOperation(n, { tear, seed: n * 7 });
			const label = `cut at ${n} (${tear})`;
			t.throws(() => fullUpdate(device, cut, () => cut.count), { instanceOf: PowerCut }, label);
			// Power comes back: the device boots, on one firmware or the other.
			const back = powerOn(device);
			t.true(['1.0.0', '1.1.0'].includes(back.booted.image.version), label);
			if (n <= marks.activated) t.is(back.booted.image.version, '1.0.0', `${label}: not activated yet`);
			// After activation, a cut before confirm() landed ends in the trial or back on the old slot.
			else t.true(back.booted.state === 'trial' || back.booted.rolledBack, `${label}: ${JSON.stringify(back.booted)}`);
			// And it can finish: confirm a trial, or update again from the old firmware.
			if (back.booted.state === 'trial') back.flash.confirm();
			else if (back.booted.image.version === '1.0.0') {
				install(back.flash, NEW_IMAGE);
				powerOn(device).flash.confirm();
			}
			t.like(powerOn(device).booted, { state: 'confirmed', image: { version: '1.1.0' } }, `${label}: finished`);
		}
	}
});
