/*
 * The agent's own timetable on an accelerated device clock: a check when update.period has
 * passed, none when updates are switched off, a wait for the schedule window. An hour of idle
 * device time passes in half a second here.
 */
import test from 'ava';
import * as fs from 'node:fs';
import type { CycleResult } from '../../modules/agent';
import { runDeviceForever } from '../../simulator/device/run-forever';
import { devicePaths } from '../../hosts/sim/host';
import { world, setIoto } from '../helpers/world';

/** Run until `enough` says so for the outcomes seen, or `limit` ms of wall time passed. */
async function runUntil(dir: string, enough: (outcomes: CycleResult[]) => boolean, limit: number) {
	const seen: CycleResult[] = [];
	let stop = () => {};
	const until = new Promise<void>((resolve) => {
		stop = resolve;
		setTimeout(resolve, limit);
	});
	return runDeviceForever(dir, {
		engine: 'node', clockScale: 7200, until,
		onOutcome(result) {
			seen.push(result);
			if (enough(seen)) stop();
		},
	});
}

const nones = (outcomes: CycleResult[]) => outcomes.filter((o) => o.outcome === 'none').length;

test.serial('checks come every update.period of device time, and the last check persists', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	setIoto(dir, { update: { period: '1 hr', schedule: 'anytime', jitter: 0 } });
	const started = Date.now();
	const summary = await runUntil(dir, (o) => nones(o) >= 3, 30_000);
	const kinds = summary.outcomes.map((o) => o.outcome);
	t.is(kinds[0], 'restarting', 'the first check is due at once and finds 1.1.0');
	t.is(kinds[1], 'updated', 'the trial boot confirms');
	t.is(nones(summary.outcomes), 3, `then a check per period: ${kinds.join(', ')}`);
	t.is(summary.version, '1.1.0');
	t.is(summary.boots, 2);
	const store = JSON.parse(fs.readFileSync(devicePaths(dir).store, 'utf8'));
	// Three periods of device time passed after the update, in far less wall time.
	t.true(Number(store.lastCheck) - started >= 3 * 3_600_000 - 60_000, 'lastCheck is in device time, hours ahead');
});

test.serial('no checks when update.enable is false', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	setIoto(dir, { update: { enable: false } });
	const summary = await runUntil(dir, () => true, 1500);
	t.deepEqual(summary.outcomes, []);
	t.is(summary.version, '1.0.0');
});

test.serial('a schedule window is waited for', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	// A window of one minute, an hour of device time from now.
	const next = new Date(Date.now() + 3_600_000);
	setIoto(dir, { update: { schedule: `${next.getMinutes()} ${next.getHours()} * * *` } });
	const summary = await runUntil(dir, (o) => o.some((r) => r.outcome === 'updated'), 30_000);
	t.is(summary.version, '1.1.0', `outcomes: ${JSON.stringify(summary.outcomes)}`);
	const store = JSON.parse(fs.readFileSync(devicePaths(dir).store, 'utf8'));
	t.true(Number(store.lastCheck) >= next.getTime() - 60_000, 'the check waited for the window');
});

test.serial('a verified image waits in its slot for the update.apply window', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	const window = new Date(Date.now() + 3_600_000);
	setIoto(dir, { update: { apply: `${window.getMinutes()} ${window.getHours()} * * *` } });
	const summary = await runUntil(dir, (o) => o.some((r) => r.outcome === 'updated'), 30_000);
	const kinds = summary.outcomes.map((o) => o.outcome);
	t.deepEqual(kinds.slice(0, 3), ['deferred', 'restarting', 'updated'], kinds.join(', '));
	t.like(summary.outcomes[0], { deferredBy: 'window' });
	t.true((summary.outcomes[0].until ?? 0) >= window.getTime() - 60_000, 'deferred until the window opens');
	t.is(summary.version, '1.1.0');
});
