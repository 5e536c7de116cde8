import test from 'ava';
import { CutAtOperation, OperationCounter, PowerCut } from '../../hosts/sim/flash/faults';
import { memoryMedium } from '../../hosts/sim/flash/medium';
import { NorFlash } from '../../hosts/sim/flash/nor-flash';

test('CutAtOperation lets n-1 operations through, cuts the n-th, and refuses every one after', (t) => {
	const cut = new CutAtOperation(3);
	t.is(cut.operation('erase', 'a'), undefined);
	t.is(cut.operation('store', 'b'), undefined);
	t.false(cut.tripped);
	t.throws(() => cut.operation('write', 'c', 10), { instanceOf: PowerCut, message: 'power cut before write c' });
	t.true(cut.tripped);
	t.is(cut.cutAt, 'operation 3 (write c)');
	for (const kind of ['erase', 'write', 'store'] as const) {
		t.throws(() => cut.operation(kind, 'later', 1), { instanceOf: PowerCut, message: /device is off since the power cut at operation 3/ });
	}
	t.is(cut.count, 6);
});

test('a torn cut lands half or a seeded random prefix of a write; other kinds are cut whole', (t) => {
	t.deepEqual(new CutAtOperation(1, { tear: 'half' }).operation('write', 'w', 9), { tear: 4 });
	t.throws(() => new CutAtOperation(1, { tear: 'half' }).operation('erase', 'e'), { instanceOf: PowerCut });
	t.throws(() => new CutAtOperation(1, { tear: 'half' }).operation('store', 's'), { instanceOf: PowerCut });
	const tears = new Set<number>();
	for (let seed = 1; seed <= 50; seed++) {
		const a = new CutAtOperation(1, { tear: 'random', seed }).operation('write', 'w', 100)?.tear;
		const b = new CutAtOperation(1, { tear: 'random', seed }).operation('write', 'w', 100)?.tear;
		t.is(a, b, 'the same seed tears at the same byte');
		t.true(a !== undefined && a >= 0 && a < 100);
		tears.add(a!);
	}
	t.true(tears.size > 10, 'different seeds tear at different bytes');
});

test('a torn write through NorFlash lands its prefix and leaves the device dead', (t) => {
	const faults = new CutAtOperation(2, { tear: 'half' });
	const flash = new NorFlash(memoryMedium(8192), { label: 'slot1', faults });
	flash.write(0, Uint8Array.of(1));
	t.throws(() => flash.write(100, Uint8Array.of(1, 2, 3, 4)), { instanceOf: PowerCut, message: /2 landed/ });
	t.deepEqual(flash.read(100, 4), Uint8Array.of(1, 2, 0xff, 0xff));
	t.throws(() => flash.eraseSector(0), { instanceOf: PowerCut });
	t.is(flash.read(0, 1)[0], 1);
});

test('OperationCounter counts operations by kind and never cuts', (t) => {
	const counter = new OperationCounter();
	const flash = new NorFlash(memoryMedium(8192), { label: 'x', faults: counter });
	flash.eraseSector(0);
	flash.write(0, Uint8Array.of(1));
	flash.write(1, Uint8Array.of(2));
	counter.operation('store');
	t.is(counter.count, 4);
	t.deepEqual(counter.kinds, { erase: 1, write: 2, store: 1 });
	t.false(counter.tripped);
});

test('bad CutAtOperation arguments are refused', (t) => {
	t.throws(() => new CutAtOperation(0), { instanceOf: RangeError, message: /counted from 1/ });
	t.throws(() => new CutAtOperation(1.5), { instanceOf: RangeError });
	t.throws(() => new CutAtOperation(1, { tear: 'most' as 'half' }), { instanceOf: RangeError, message: /tear must be/ });
});
