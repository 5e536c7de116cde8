import test from 'ava';
import { boot, BootError } from '../../hosts/sim/flash/bootloader';
import { Otadata, type OtaEntry, type OtaState } from '../../hosts/sim/flash/otadata';
import { CutAtOperation, OperationCounter, PowerCut } from '../../hosts/sim/flash/faults';
import type { SlotIndex } from '../../hosts/sim/flash/layout';
import { image, memoryDevice, validateImage } from './flash-device';

type Content = 'image' | 'corrupt' | 'blank';

/** A device with 1.0.0 in slot 0 and 1.1.0 in slot 1, each replaced as `content` says, and otadata holding `entry`. */
function deviceWith(slot0: Content, slot1: Content, entry?: [SlotIndex, OtaState]) {
	const device = memoryDevice('1.0.0');
	const versions = ['1.0.0', '1.1.0'];
	for (const [slot, content] of [slot0, slot1].entries()) {
		const medium = device.media.slots[slot];
		medium.store(0, new Uint8Array(medium.size).fill(0xff));
		if (content === 'blank') continue;
		const bytes = image(versions[slot]);
		if (content === 'corrupt') bytes[bytes.length - 100] ^= 0x04;
		medium.store(0, bytes);
	}
	if (entry) new Otadata(device.power().otadata).write(...entry);
	return device;
}

interface Expected {
	slot: SlotIndex;
	state: 'trial' | 'confirmed';
	rolledBack: boolean;
	/** The otadata entry afterwards, without its seq; undefined: still blank. */
	entry?: [SlotIndex, OtaState];
	/** otadata writes made by this boot. */
	writes: number;
}

// The bootloader's table: [what, slot 0, slot 1, otadata entry in force, what boots and what otadata says after].
const TABLE: [string, Content, Content, [SlotIndex, OtaState] | undefined, Expected][] = [
	['blank otadata boots the factory image', 'image', 'image', undefined, { slot: 0, state: 'confirmed', rolledBack: false, writes: 0 }],
	['NEW boots the slot on trial', 'image', 'image', [1, 'NEW'], { slot: 1, state: 'trial', rolledBack: false, entry: [1, 'PENDING_VERIFY'], writes: 1 }],
	['NEW on slot 0 boots it on trial', 'image', 'image', [0, 'NEW'], { slot: 0, state: 'trial', rolledBack: false, entry: [0, 'PENDING_VERIFY'], writes: 1 }],
	['PENDING_VERIFY at boot is an unconfirmed trial: abort it, back to the other slot', 'image', 'image', [1, 'PENDING_VERIFY'], { slot: 0, state: 'confirmed', rolledBack: true, entry: [1, 'ABORTED'], writes: 1 }],
	['VALID boots the slot', 'image', 'image', [1, 'VALID'], { slot: 1, state: 'confirmed', rolledBack: false, entry: [1, 'VALID'], writes: 0 }],
	['INVALID boots the other slot', 'image', 'image', [1, 'INVALID'], { slot: 0, state: 'confirmed', rolledBack: false, entry: [1, 'INVALID'], writes: 0 }],
	['ABORTED boots the other slot', 'image', 'image', [0, 'ABORTED'], { slot: 1, state: 'confirmed', rolledBack: false, entry: [0, 'ABORTED'], writes: 0 }],
	['a corrupt NEW image falls back to the other slot', 'image', 'corrupt', [1, 'NEW'], { slot: 0, state: 'confirmed', rolledBack: true, entry: [0, 'VALID'], writes: 1 }],
	['a blank NEW slot falls back to the other slot', 'image', 'blank', [1, 'NEW'], { slot: 0, state: 'confirmed', rolledBack: true, entry: [0, 'VALID'], writes: 1 }],
	['a corrupt VALID image falls back to the other slot', 'image', 'corrupt', [1, 'VALID'], { slot: 0, state: 'confirmed', rolledBack: true, entry: [0, 'VALID'], writes: 1 }],
	['a corrupt factory image falls back to slot 1', 'corrupt', 'image', undefined, { slot: 1, state: 'confirmed', rolledBack: true, entry: [1, 'VALID'], writes: 1 }],
	['an aborted trial whose fallback is corrupt is the last resort', 'corrupt', 'image', [1, 'PENDING_VERIFY'], { slot: 1, state: 'confirmed', rolledBack: true, entry: [1, 'VALID'], writes: 2 }],
];

for (const [what, slot0, slot1, entry, expected] of TABLE) {
	test(`boot: ${what}`, (t) => {
		const device = deviceWith(slot0, slot1, entry);
		const counter = new OperationCounter();
		const result = boot(device.power(counter), validateImage);
		t.like(result, { slot: expected.slot, state: expected.state, rolledBack: expected.rolledBack });
		t.like(result.image, { product: 'flash-test', version: ['1.0.0', '1.1.0'][expected.slot], length: 5000 });
		const after = new Otadata(device.power().otadata).read();
		t.deepEqual(after && [after.slot, after.state], expected.entry);
		t.deepEqual(result.entry, after, 'the result carries the entry in force');
		// Each otadata write is an erase and a write.
		t.is(counter.count, 2 * expected.writes);
	});
}

test('boot: when neither slot holds a bootable image the device is bricked', (t) => {
	// [slot 0, slot 1, entry]
	const bricked: [Content, Content, [SlotIndex, OtaState] | undefined][] = [
		['corrupt', 'corrupt', undefined],
		['corrupt', 'blank', [1, 'NEW']],
		['blank', 'corrupt', [0, 'VALID']],
	];
	for (const [slot0, slot1, entry] of bricked) {
		const error = t.throws(() => boot(deviceWith(slot0, slot1, entry).power(), validateImage), { instanceOf: BootError });
		t.regex(error?.message ?? '', /^no bootable image: slot\d holds no valid image, slot\d holds no valid image$/);
	}
});

test('boot: a validator that throws marks the slot unbootable instead of failing the boot', (t) => {
	const device = deviceWith('image', 'image', [1, 'VALID']);
	const result = boot(device.power(), (read, size) => {
		const found = validateImage(read, size);
		if (found?.version === '1.1.0') throw new RangeError('read past the end');
		return found;
	});
	t.like(result, { slot: 0, rolledBack: true });
	const error = t.throws(() => boot(deviceWith('image', 'image').power(), () => {
		throw new RangeError('bad header');
	}), { instanceOf: BootError });
	t.regex(error?.message ?? '', /slot0 could not be read \(bad header\)/);
});

test('boot: a power cut during the bootloader\'s own otadata writes just means booting again', (t) => {
	// [entry before, the boot that finally succeeds]
	const cases: [[SlotIndex, OtaState], { slot: SlotIndex; state: string }][] = [
		[[1, 'NEW'], { slot: 1, state: 'trial' }],
		[[1, 'PENDING_VERIFY'], { slot: 0, state: 'confirmed' }],
	];
	for (const [entry, outcome] of cases) {
		for (const at of [1, 2]) {
			for (const tear of ['none', 'half'] as const) {
				const device = deviceWith('image', 'image', entry);
				const before = new Otadata(device.power().otadata).read();
				t.throws(() => boot(device.power(new CutAtOperation(at, { tear })), validateImage), { instanceOf: PowerCut });
				t.deepEqual(new Otadata(device.power().otadata).read(), before, 'the entry before is still in force');
				t.like(boot(device.power(), validateImage), outcome);
			}
		}
	}
});

test('boot: a whole trial cycle: NEW, trial, not confirmed, rolled back, then stays on the old slot', (t) => {
	const device = deviceWith('image', 'image', [1, 'NEW']);
	const states: Array<[SlotIndex, string, boolean, OtaEntry['state'] | undefined]> = [];
	for (let i = 0; i < 3; i++) {
		const r = boot(device.power(), validateImage);
		states.push([r.slot, r.state, r.rolledBack, r.entry?.state]);
	}
	t.deepEqual(states, [
		[1, 'trial', false, 'PENDING_VERIFY'],
		[0, 'confirmed', true, 'ABORTED'],
		[0, 'confirmed', false, 'ABORTED'],
	]);
});
