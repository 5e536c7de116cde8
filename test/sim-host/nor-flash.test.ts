import test from 'ava';
import { memoryMedium } from '../../hosts/sim/flash/medium';
import { NorFlash } from '../../hosts/sim/flash/nor-flash';
import { CutAtOperation, PowerCut, type FaultInjector } from '../../hosts/sim/flash/faults';

const flashOf = (size = 4 * 4096, faults?: FaultInjector) => new NorFlash(memoryMedium(size), { label: 'test', faults });

// A write can only clear bits: [byte before, byte written, byte after] = before AND written.
const NOR: [number, number, number][] = [
	[0xff, 0x5a, 0x5a], // erased flash takes any byte
	[0x5a, 0xff, 0x5a], // writing 1s changes nothing
	[0x0f, 0xf0, 0x00], // 0 bits stay 0
	[0xaa, 0x55, 0x00],
	[0x00, 0xff, 0x00],
	[0xf3, 0x3f, 0x33],
];

test('a NOR write is old AND new: it can only clear bits', (t) => {
	const flash = flashOf();
	flash.medium.store(100, Uint8Array.from(NOR, ([before]) => before));
	flash.write(100, Uint8Array.from(NOR, ([, written]) => written));
	t.deepEqual(flash.read(100, NOR.length), Uint8Array.from(NOR, ([, , after]) => after));
});

test('an erase sets a whole sector, and only that sector, to 0xFF', (t) => {
	const flash = flashOf();
	flash.write(0, new Uint8Array(3 * 4096));
	flash.eraseSector(1);
	t.deepEqual(flash.read(4095, 4098), Uint8Array.from({ length: 4098 }, (_, i) => (i === 0 || i === 4097 ? 0 : 0xff)));
	flash.write(4096, Uint8Array.of(0x12));
	t.is(flash.read(4096, 1)[0], 0x12, 'an erased sector takes a write again');
	t.is(flash.sectorCount, 4);
});

test('erases and writes outside the region are RangeErrors that change nothing', (t) => {
	const flash = flashOf(2 * 4096);
	t.throws(() => flash.write(8190, new Uint8Array(3)), { instanceOf: RangeError, message: /test: write of 3 bytes at 8190 is outside the 8192-byte region/ });
	t.throws(() => flash.write(-1, new Uint8Array(1)), { instanceOf: RangeError });
	t.throws(() => flash.eraseSector(2), { instanceOf: RangeError, message: /no sector 2/ });
	t.throws(() => flash.eraseSector(-1), { instanceOf: RangeError });
	t.throws(() => flash.read(8192, 1), { instanceOf: RangeError });
	t.deepEqual(flash.read(8188, 4), new Uint8Array(4).fill(0xff));
	t.throws(() => new NorFlash(memoryMedium(5000), { label: 'odd' }), { instanceOf: RangeError, message: /odd: 5000 bytes is not a whole number of 4096-byte sectors/ });
	t.throws(() => new NorFlash(memoryMedium(4096), { label: 'x', sectorSize: 0 }), { instanceOf: RangeError });
});

test('each erase and each write is one fault operation; a cut one does not happen', (t) => {
	const seen: string[] = [];
	const flash = flashOf(2 * 4096, { operation: (kind, detail, bytes) => void seen.push(`${kind} ${detail} ${bytes ?? '-'}`) });
	flash.write(10, Uint8Array.of(1, 2));
	flash.eraseSector(1);
	flash.write(20, new Uint8Array(0));
	t.deepEqual(seen, ['write test 2 bytes at 10 2', 'erase test sector 1 -'], 'an empty write is no operation');

	const cutErase = flashOf(2 * 4096, new CutAtOperation(2));
	cutErase.write(0, Uint8Array.of(0));
	t.throws(() => cutErase.eraseSector(0), { instanceOf: PowerCut });
	t.is(cutErase.read(0, 1)[0], 0, 'the cut erase left the sector as it was');

	const cutWrite = flashOf(2 * 4096, new CutAtOperation(1));
	t.throws(() => cutWrite.write(0, Uint8Array.of(1, 2, 3)), { instanceOf: PowerCut, message: /power cut before write/ });
	t.deepEqual(cutWrite.read(0, 3), Uint8Array.of(0xff, 0xff, 0xff));
});

test('a torn write lands exactly the prefix the injector allows, then the power is cut', (t) => {
	const bytes = Uint8Array.of(0x10, 0x20, 0x30, 0x40, 0x50);
	for (let tear = 0; tear <= bytes.length; tear++) {
		const flash = flashOf(4096, { operation: () => ({ tear }) });
		t.throws(() => flash.write(7, bytes), { instanceOf: PowerCut, message: new RegExp(`${tear} landed`) });
		const expected = Uint8Array.from(bytes, (b, i) => (i < tear ? b : 0xff));
		t.deepEqual(flash.read(7, bytes.length), expected, `tear at ${tear}`);
	}
});
