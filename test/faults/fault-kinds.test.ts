/*
 * Each kind of fault on its own, deterministically, through the real proxy, cloud and agent: the
 * device still ends on the release, never activates a bad image, and re-downloads at most an
 * erase unit after an interruption it resumes from.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFaultWorld, type FaultWorld } from '../../simulator/faults/world';
import { runScenario, scenarioSpec, type ScenarioResult } from '../../simulator/faults/scenario';
import { defaultCampaignRoot } from '../../simulator/faults/campaign';
import type { ImageExchange } from '../../simulator/faults/fault-plan';
import type { PlannedFault, ImageFault, CheckinFault } from '../../simulator/faults/faults';

const SIZE = 120_000;
/** One erase unit: the most a resume may fetch again. */
const CHUNK = 4096;

let world: FaultWorld;
let root: string;

test.before(async () => {
	root = fs.mkdtempSync(path.join(defaultCampaignRoot(), 'updraft-fault-kinds-'));
	world = await startFaultWorld({ root });
});

test.after.always(async () => {
	await world?.close();
	fs.rmSync(root, { recursive: true, force: true });
});

const image = (...faults: ImageFault[]): PlannedFault[] => faults.map((fault) => ({ target: 'image', fault }));
const checkin = (...faults: CheckinFault[]): PlannedFault[] => faults.map((fault) => ({ target: 'checkin', fault }));

let nextIndex = 0;

/**
 * These scripts expect each fault to meet the request it is aimed at, so the device must not give
 * up on a request of its own: timeouts far above what a busy test machine can delay a timer by,
 * except the idle timeout that a stall has to trigger.
 */
const PATIENT = { api: '60 secs', idle: '2 secs' };

/** A few scenarios at a time: the rest of the suite runs beside this file. */
const slots = { free: 4, waiting: [] as (() => void)[] };

async function limited<T>(work: () => Promise<T>): Promise<T> {
	if (slots.free === 0) await new Promise<void>((resolve) => slots.waiting.push(resolve));
	else slots.free--;
	try {
		return await work();
	} finally {
		const next = slots.waiting.shift();
		if (next) next();
		else slots.free++;
	}
}

/** Run one scenario with exactly these faults; the invariants must hold whatever the fault. */
async function scenario(
	t: { deepEqual(a: unknown, b: unknown, m?: string): void; log(...v: unknown[]): void; timeout(ms: number): void },
	faults: PlannedFault[],
	extra: { corruptAtRest?: number; maxCycles?: number; timeouts?: { api?: string; idle?: string } } = {},
): Promise<ScenarioResult> {
	t.timeout(120_000);
	const spec = { ...scenarioSpec('fault-kinds', nextIndex++), imageSize: SIZE, faults, corruptAtRest: undefined, maxCycles: 12, timeouts: PATIENT, ...extra };
	const result = await limited(() => runScenario({ cloud: world.cloud, proxy: world.proxy, root }, spec));
	t.log(result.outcomes.join(' → '), JSON.stringify(result.waste));
	t.deepEqual(result.violations, [], 'no invariant broke');
	return result;
}

const images = (r: ScenarioResult) => r.exchanges.filter((e): e is ImageExchange => e.target === 'image');

test('cut mid-body: the device resumes at the byte it reached, in the same cycle', async (t) => {
	const r = await scenario(t, image({ kind: 'cut', at: 50_000 }));
	t.like(r, { outcome: 'updated', completed: true, cycles: 1 });
	const [first, second] = images(r);
	t.like(first, { status: 200, fault: 'cut', sent: 50_000 });
	t.like(second, { status: 206, asked: 50_000, start: 50_000 });
	t.deepEqual(r.waste.perInterruption, [0], 'nothing is fetched twice within a run');
});

test('cut right after the head: nothing was kept, the device asks again from the start', async (t) => {
	const r = await scenario(t, image({ kind: 'cut', at: 0 }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	t.like(images(r)[0], { fault: 'cut', sent: 0 });
	t.is(r.waste.maxPerInterruption, 0);
});

test('stall: the idle timeout fires and the download resumes', async (t) => {
	const r = await scenario(t, image({ kind: 'stall', at: 40_000 }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	t.like(images(r)[1], { status: 206, asked: 40_000 });
	t.true(r.ms >= 2000, 'the device waited for its idle timeout');
	t.true(r.waste.maxPerInterruption <= CHUNK);
});

test('truncated body (clean end short of Content-Length): resumed', async (t) => {
	const r = await scenario(t, image({ kind: 'truncate', at: 70_000 }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	t.like(images(r)[1], { status: 206, asked: 70_000 });
	t.deepEqual(r.waste.perInterruption, [0]);
});

// [what, faults]: a flipped byte is caught by the SHA-256, whole image or resumed piece.
const CORRUPTIONS: [string, PlannedFault[]][] = [
	['in a whole image', image({ kind: 'corrupt', at: 10_000 })],
	['in a resumed piece', image({ kind: 'cut', at: 30_000 }, { kind: 'corrupt', at: 5 })],
	['in the last byte', image({ kind: 'corrupt', at: SIZE - 1 })],
];

for (const [what, faults] of CORRUPTIONS) {
	test(`corrupt byte ${what}: rejected, never activated, then updated`, async (t) => {
		const r = await scenario(t, faults);
		t.like(r, { outcome: 'updated', completed: true, cycles: 2 });
		t.is(r.outcomes[0], 'rejected:INTEGRITY_CHECK_FAILURE');
		t.true(r.waste.restarts >= 1, 'the rejected image is fetched again from the start');
		t.true(r.waste.maxPerInterruption <= CHUNK);
	});
}

// [what, faults, outcome of the first cycle]: a length that lies.
const LENGTHS: [string, PlannedFault[], string][] = [
	['a whole image announced longer', image({ kind: 'wrong-length', delta: 1000 }), 'failed:BAD_RESPONSE'],
	['a whole image announced shorter', image({ kind: 'wrong-length', delta: -1000 }), 'failed:BAD_RESPONSE'],
	['a resumed piece announced longer', image({ kind: 'cut', at: 50_000 }, { kind: 'wrong-length', delta: 500 }), ''],
	['a resumed piece announced shorter', image({ kind: 'cut', at: 50_000 }, { kind: 'wrong-length', delta: -500 }), ''],
];

for (const [what, faults, first] of LENGTHS) {
	test(`wrong Content-Length on ${what}: the device never takes bytes past the length, and updates`, async (t) => {
		const r = await scenario(t, faults);
		t.like(r, { outcome: 'updated', completed: true });
		if (first) t.is(r.outcomes[0], first);
		t.true(images(r).some((e) => e.fault === 'wrong-length'));
		t.true(r.waste.maxPerInterruption <= CHUNK, `re-downloaded ${r.waste.maxPerInterruption} bytes after one interruption`);
	});
}

// With every byte written, the answer's missing 500 bytes fail the attempt; the device then
// verifies what it holds instead of asking for more.
test('a resumed piece announced longer than the image: the device holds every byte and does not fetch the image again', async (t) => {
	const r = await scenario(t, image({ kind: 'cut', at: 50_000 }, { kind: 'wrong-length', delta: 500 }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	t.is(r.waste.delivered, SIZE, 'nothing is sent twice');
});

test('200 with the whole image instead of 206: the device starts over from byte 0 (by design)', async (t) => {
	const r = await scenario(t, image({ kind: 'cut', at: 60_000 }, { kind: 'full-body' }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	t.like(images(r)[1], { status: 200, asked: 60_000, start: 0, fault: 'full-body', sent: SIZE });
	t.is(r.waste.restartBytes, 60_000, 'the restart is counted apart');
	t.deepEqual(r.waste.perInterruption, [], 'and not as the cost of a cut');
});

test('ETag changed on the first answer: the resume\'s If-Range fails and the image comes whole', async (t) => {
	const r = await scenario(t, image({ kind: 'etag-change', cutAt: 40_000 }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	const [first, second] = images(r);
	t.like(first, { status: 200, fault: 'etag-change', sent: 40_000 });
	t.like(second, { status: 200, asked: 40_000, start: 0 });
	t.is(r.waste.restartBytes, 40_000);
});

test('release changed under a resume (new ETag, other bytes): the device drops its piece and starts over', async (t) => {
	const r = await scenario(t, image({ kind: 'cut', at: 40_000 }, { kind: 'etag-change' }));
	t.like(r, { outcome: 'updated', completed: true });
	const [, changed, next] = images(r);
	t.like(changed, { status: 206, fault: 'etag-change', restarts: true });
	t.is(next.asked, undefined, 'the next request asks for the whole image');
	t.is(r.waste.restartBytes, 40_000);
});

test('5xx burst shorter than the retry budget: retried within the cycle', async (t) => {
	const r = await scenario(t, image({ kind: 'server-error', status: 503, count: 3 }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	t.is(images(r).filter((e) => e.status === 503).length, 3);
});

test('5xx burst longer than the retry budget: the cycle fails, the next one updates', async (t) => {
	const r = await scenario(t, image({ kind: 'cut', at: 20_000 }, { kind: 'server-error', status: 500, count: 10 }));
	t.like(r, { outcome: 'updated', completed: true, cycles: 2 });
	t.is(r.outcomes[0], 'failed:DOWNLOAD_FAILED');
	t.true(r.waste.maxPerInterruption <= CHUNK, 'the next power-on resumes at the last erase boundary');
});

test('slow trickle: small pieces with pauses, no timeout, nothing fetched twice', async (t) => {
	const r = await scenario(t, image({ kind: 'trickle', bytes: 16_000, piece: 100, delay: 1 }));
	t.like(r, { outcome: 'updated', cycles: 1 });
	t.is(images(r).length, 1);
	t.is(r.waste.wasted, 0);
});

// [what, faults]: check-in faults are retried like any other.
const CHECKINS: [string, PlannedFault[]][] = [
	['5xx burst', checkin({ kind: 'server-error', status: 502, count: 3 })],
	['cut before the answer', checkin({ kind: 'cut', at: 0 })],
	['cut in the answer head', checkin({ kind: 'cut', at: 40 })],
	['stall in the answer body', checkin({ kind: 'stall', at: 160 })],
	['stall in the answer head', checkin({ kind: 'stall', at: 20 })],
];

for (const [what, faults] of CHECKINS) {
	test(`check-in ${what}: retried, then updated`, async (t) => {
		// A stall before the head ends when the api timeout (head timeout) fires.
		const r = await scenario(t, faults, { timeouts: { ...PATIENT, api: '5 secs' } });
		t.like(r, { outcome: 'updated', completed: true, cycles: 1 });
		const applied: string | undefined = r.exchanges.find((e) => e.target === 'checkin')?.fault;
		t.is(applied, faults[0].fault.kind);
	});
}

test('release corrupt at rest: refused every time, never activated, the device stays on its image', async (t) => {
	const r = await scenario(t, image({ kind: 'cut', at: 30_000 }), { corruptAtRest: 1000, maxCycles: 3 });
	t.like(r, { outcome: 'refused', completed: true, cycles: 3, version: '1.0.0' });
	t.deepEqual(r.outcomes, ['rejected:INTEGRITY_CHECK_FAILURE', 'rejected:INTEGRITY_CHECK_FAILURE', 'rejected:INTEGRITY_CHECK_FAILURE']);
});

test('check-in faults during the trial boot of the new firmware leave the device on a published image', async (t) => {
	// The first check-in passes; the trial's self-test check-in then meets two 503s.
	const r = await scenario(t, checkin({ kind: 'pass', count: 1 }, { kind: 'server-error', status: 503, count: 2 }));
	t.true(r.outcome === 'updated' || r.outcome === 'rolled-back', r.outcome);
	t.log(`outcome after a failed trial check-in: ${r.outcome} (${r.version})`);
});
