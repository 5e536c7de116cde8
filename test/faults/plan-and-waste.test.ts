/*
 * The fault harness's bookkeeping on its own: fault validation, the plan's queues, the waste
 * accounting, and that seeded scenarios are reproducible.
 */
import test from 'ava';
import { checkFault, describeFault, type PlannedFault } from '../../simulator/faults/faults';
import { FaultPlan, type ImageExchange } from '../../simulator/faults/fault-plan';
import { accountWaste } from '../../simulator/faults/waste';
import { scenarioSpec, MIN_IMAGE, MAX_IMAGE } from '../../simulator/faults/scenario';

// [fault, what the error must say]: every malformed fault is refused with a message naming the problem.
const BAD_FAULTS: [unknown, RegExp][] = [
	[null, /must be an object/],
	[{ target: 'disk', fault: { kind: 'cut', at: 1 } }, /target must be "image" or "checkin"/],
	[{ target: 'image', fault: { kind: 'melt' } }, /kind must be one of/],
	[{ target: 'checkin', fault: { kind: 'corrupt', at: 1 } }, /checkin fault kind must be one of/],
	[{ target: 'image', fault: { kind: 'cut', at: -1 } }, /at must be a byte count/],
	[{ target: 'image', fault: { kind: 'wrong-length', delta: 0 } }, /delta must be a non-zero integer/],
	[{ target: 'image', fault: { kind: 'server-error', status: 404, count: 1 } }, /status must be 500-599/],
	[{ target: 'image', fault: { kind: 'server-error', status: 503, count: 0 } }, /count must be an integer >= 1/],
	[{ target: 'image', fault: { kind: 'trickle', bytes: 100_000, piece: 1, delay: 10 } }, /more than 2000 ms/],
	[{ target: 'image', fault: { kind: 'etag-change', cutAt: 0 } }, /cutAt must be a byte count >= 1/],
];

for (const [fault, message] of BAD_FAULTS) {
	test(`checkFault refuses ${JSON.stringify(fault)}`, (t) => {
		t.throws(() => checkFault(fault as PlannedFault), { message });
		t.throws(() => new FaultPlan([fault as PlannedFault]), { message });
	});
}

test('each request of a target takes the next fault of that target; bursts and passes take several', (t) => {
	const plan = new FaultPlan([
		{ target: 'image', fault: { kind: 'server-error', status: 503, count: 2 } },
		{ target: 'checkin', fault: { kind: 'pass', count: 1 } },
		{ target: 'image', fault: { kind: 'cut', at: 10 } },
		{ target: 'checkin', fault: { kind: 'stall', at: 5 } },
	]);
	t.is(plan.pending, 5);
	t.is(plan.takeCheckin(), undefined, 'the pass lets the first check-in through');
	t.like(plan.takeImage(), { kind: 'server-error' });
	t.like(plan.takeImage(), { kind: 'server-error' });
	t.like(plan.takeCheckin(), { kind: 'stall', at: 5 });
	t.like(plan.takeImage(), { kind: 'cut', at: 10 });
	t.is(plan.takeImage(), undefined);
	t.is(plan.takeCheckin(), undefined);
	t.is(plan.pending, 0);
	t.is(describeFault({ target: 'image', fault: { kind: 'cut', at: 10 } }), 'image:cut(at=10)');
});

const SIZE = 100_000;
const answer = (status: number, start: number, sent: number, held: number, extra: Partial<ImageExchange> = {}): ImageExchange =>
	({ target: 'image', status, start, sent, held, restarts: false, asked: status === 206 ? start : undefined, ...extra });

// [what happened, the image answers in order, expected per-interruption re-downloads, expected restart bytes]
const LEDGERS: [string, ImageExchange[], number[], number][] = [
	['no fault', [answer(200, 0, SIZE, 0)], [], 0],
	['a cut resumed at the exact byte', [answer(200, 0, 30_000, 0), answer(206, 30_000, 70_000, 30_000)], [0], 0],
	['a restart resumed at the erase boundary below', [answer(200, 0, 30_000, 0), answer(206, 28_672, 71_328, 30_000)], [1328], 0],
	['bytes in flight the device never read are waste, not a re-download',
		[answer(200, 0, 60_000, 0), answer(206, 30_000, 70_000, 30_000)], [0], 0],
	['a device that starts over after a cut re-downloads everything it had',
		[answer(200, 0, 30_000, 0), answer(200, 0, SIZE, 30_000)], [30_000], 0],
	['a 200 answering a range is a designed restart',
		[answer(200, 0, 30_000, 0), answer(200, 0, SIZE, 30_000, { asked: 30_000 })], [], 30_000],
	['a rejected image fetched again is a designed restart',
		[answer(200, 0, SIZE, 0), answer(200, 0, SIZE, SIZE)], [], SIZE],
	['a changed release voids what the device held',
		[answer(200, 0, 30_000, 0), answer(206, 30_000, 5_000, 30_000, { restarts: true }), answer(200, 0, SIZE, 0)], [0], 30_000],
	['error answers carry no body and change nothing',
		[answer(200, 0, 30_000, 0), answer(503, 0, 0, 30_000, { asked: 30_000 }), answer(206, 30_000, 70_000, 30_000)], [0], 0],
];

for (const [what, ledger, perInterruption, restartBytes] of LEDGERS) {
	test(`waste: ${what}`, (t) => {
		const waste = accountWaste(ledger, SIZE);
		t.deepEqual(waste.perInterruption, perInterruption);
		t.is(waste.maxPerInterruption, Math.max(0, ...perInterruption));
		t.is(waste.restartBytes, restartBytes);
		const delivered = ledger.reduce((sum, e) => sum + e.sent, 0);
		t.is(waste.delivered, delivered);
		t.is(waste.wasted, Math.max(0, delivered - SIZE));
	});
}

test('accountWaste refuses a size that is not a positive integer', (t) => {
	t.throws(() => accountWaste([], 0), { message: /image size must be a positive integer/ });
});

test('the same seed and index give the same scenario; others differ', (t) => {
	t.deepEqual(scenarioSpec('seed', 7), scenarioSpec('seed', 7));
	t.notDeepEqual(scenarioSpec('seed', 7).faults, scenarioSpec('seed', 8).faults);
	t.not(scenarioSpec('seed', 7).product, scenarioSpec('other', 7).product);
	const specs = Array.from({ length: 300 }, (_, i) => scenarioSpec('spread', i));
	for (const spec of specs) {
		t.true(spec.imageSize >= MIN_IMAGE && spec.imageSize <= MAX_IMAGE);
		for (const fault of spec.faults) checkFault(fault);
	}
	// The random plans use every kind of fault.
	const kinds = new Set(specs.flatMap((s) => s.faults.map((f) => `${f.target}:${f.fault.kind}`)));
	for (const kind of ['cut', 'stall', 'truncate', 'corrupt', 'wrong-length', 'full-body', 'etag-change', 'server-error', 'trickle']) t.true(kinds.has(`image:${kind}`), kind);
	for (const kind of ['cut', 'stall', 'server-error']) t.true(kinds.has(`checkin:${kind}`), kind);
	t.true(specs.some((s) => s.corruptAtRest !== undefined), 'some releases are corrupt at rest');
	t.throws(() => scenarioSpec('seed', -1), { message: /scenario index must be an integer >= 0/ });
});
