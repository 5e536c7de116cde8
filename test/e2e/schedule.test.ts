/*
 * The agent's own timetable on an accelerated device clock: a check when update.period has
 * passed, none when updates are switched off. An hour of device time passes in a fraction of a
 * second here.
 */
import test from 'ava';
import * as fs from 'node:fs';
import { runDeviceForever } from '../../simulator/device/run-forever';
import { devicePaths } from '../../hosts/sim/host';
import { world, setIoto } from '../helpers/world';

const wall = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

test.serial('checks come every update.period of device time, and the last check persists', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	setIoto(dir, { update: { period: '1 hr', schedule: 'anytime', jitter: 0 } });
	// 1 hour of device time per 0.5 s of wall time.
	const summary = await runDeviceForever(dir, { engine: 'node', clockScale: 7200, until: wall(2600) });
	const kinds = summary.outcomes.map((o) => o.outcome);
	t.is(kinds[0], 'restarting', 'the first check is due at once and finds 1.1.0');
	t.is(kinds[1], 'updated', 'the trial boot confirms');
	const nones = kinds.filter((k) => k === 'none').length;
	t.true(nones >= 2 && nones <= 6, `then a check per period: ${kinds.join(', ')}`);
	t.is(summary.version, '1.1.0');
	t.is(summary.boots, 2);
	const store = JSON.parse(fs.readFileSync(devicePaths(dir).store, 'utf8'));
	t.true(Number(store.lastCheck) > Date.now(), 'lastCheck is in device time, which runs ahead');
});

test.serial('no checks when update.enable is false', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	setIoto(dir, { update: { enable: false } });
	const summary = await runDeviceForever(dir, { engine: 'node', clockScale: 7200, until: wall(800) });
	t.deepEqual(summary.outcomes, []);
	t.is(summary.version, '1.0.0');
});

test.serial('a schedule window is waited for', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	// The minute after the next full hour of device time, at most 1 h of device time = 0.5 s away.
	const next = new Date(Date.now() + 3_600_000);
	setIoto(dir, { update: { schedule: `${next.getMinutes()} ${next.getHours()} * * *` } });
	const summary = await runDeviceForever(dir, { engine: 'node', clockScale: 7200, until: wall(1500) });
	t.is(summary.version, '1.1.0', `outcomes: ${JSON.stringify(summary.outcomes)}`);
});
