/*
 * Fleet runs against a real cloud on loopback: a staged rollout reaches every device and the
 * cloud's counters agree with what the devices did; a limit stops the rollout where it says; a
 * flaky network is ridden out or reported, never a crash. Small fleets, so that they stay quick;
 * the ten-thousand-device run is `updraft fleet` and the benchmark.
 */
import test from 'ava';
import { startTestCloud } from '../helpers/cloud';
import { runFleet, type FleetRunOptions, type FleetProgress } from '../../simulator/fleet/fleet-run';
import { generatePopulation } from '../../simulator/fleet/population';
import { listReports } from '../../simulator/cloud/admin-client';

const from = [{ version: '1.0.0', weight: 3 }, { version: '1.1.0', weight: 1 }];

function options(cloud: FleetRunOptions['cloud'], overrides: Partial<FleetRunOptions>): FleetRunOptions {
	return {
		cloud,
		devices: 100,
		seed: 'fleet-test',
		product: 'sensor',
		to: '2.0.0',
		from,
		imageSize: 4096,
		plan: { stages: [10, 50, 100], limit: null, rate: null, period: null, policy: '' },
		concurrency: 32,
		checkPeriodMs: 24 * 3_600_000,
		idleScale: 1000,
		...overrides,
	};
}

test('a staged rollout of 10, 50 and 100 percent reaches every device, and the cloud counted it all', async (t) => {
	const cloud = await startTestCloud(t);
	const seen: FleetProgress[] = [];
	const summary = await runFleet(options(cloud, { devices: 120, onProgress: (p) => seen.push(p) }));

	t.is(summary.errors, 0, summary.errorSamples.join('\n'));
	t.deepEqual(summary.versionsAfter, { '2.0.0': 120 });
	const expectedBefore: Record<string, number> = {};
	for (const p of generatePopulation({ devices: 120, seed: 'fleet-test', versions: from })) expectedBefore[p.version] = (expectedBefore[p.version] ?? 0) + 1;
	t.deepEqual(summary.versionsBefore, expectedBefore);

	// Stage by stage: more devices each time, all by the end, each stage a share near its percentage.
	t.deepEqual(summary.stages.map((s) => s.percentage), [10, 50, 100]);
	const totals = summary.stages.map((s) => s.updatedTotal);
	t.true(totals[0]! >= 2 && totals[0]! <= 30, `10% stage updated ${totals[0]}`);
	t.true(totals[1]! > totals[0]! && totals[1]! >= 35 && totals[1]! <= 90, `50% stage reached ${totals[1]}`);
	t.is(totals[2], 120);
	t.is(summary.stages.reduce((sum, s) => sum + s.updated, 0), 120);
	// Every device not yet updated checks in once per stage.
	t.deepEqual(summary.stages.map((s) => s.checkins), [120, 120 - totals[0]!, 120 - totals[1]!]);

	// What the cloud counted matches what the devices did.
	const c = summary.release.counters;
	t.like(c, { devices: 120, started: 120, success: 120, failure: 0, offered: 120 });
	t.is(c.requests, summary.stages.reduce((sum, s) => sum + s.checkins, 0));
	t.is(summary.reports.undelivered, 0);
	t.is(summary.release.percentage, 100);
	const reports = await listReports({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, release: summary.release.id, limit: 1000 });
	t.is(reports.length, 120);
	t.true(reports.every((r) => r.success && r.version === '2.0.0'));

	// Sessions were resumed, and device time moved on a check period per stage.
	t.true(summary.tls.resumed > summary.tls.full * 5, JSON.stringify(summary.tls));
	t.is(summary.deviceTimeMs, 3 * 24 * 3_600_000);
	t.is(seen.at(-1)!.phase, 'done');
	t.is(seen.at(-1)!.updated, 120);
});

test('a limit stops the rollout at that many devices, and a policy picks who may have it', async (t) => {
	const cloud = await startTestCloud(t);
	const limited = await runFleet(options(cloud, { devices: 60, plan: { stages: [], limit: 25, rate: null, period: null, policy: '' } }));
	t.is(limited.errors, 0);
	t.is(limited.versionsAfter['2.0.0'], 25);
	t.like(limited.release.counters, { devices: 25, success: 25 });
	t.is(limited.stages.length, 1);
	t.is(limited.stages[0]!.percentage, null);

	const europe = await runFleet(options(cloud, { devices: 60, product: 'meter', plan: { stages: [], limit: null, rate: null, period: null, policy: 'region == "eu"' } }));
	const eu = generatePopulation({ devices: 60, seed: 'fleet-test', versions: from }).filter((p) => p.properties.region === 'eu').length;
	t.true(eu > 0 && eu < 60);
	t.is(europe.versionsAfter['2.0.0'], eu);
	t.is(europe.release.policy, 'region == "eu"');
});

test('devices on a flaky network ride out refused and cut connections or report why they could not', async (t) => {
	const cloud = await startTestCloud(t, { autoHalt: { failures: null, percentage: null } });
	const summary = await runFleet(options(cloud, {
		devices: 40,
		plan: { stages: [], limit: null, rate: null, period: null, policy: '' },
		faults: { share: 1, refuse: 0.15, cut: 0.25 },
	}));
	t.is(summary.errors, 0, summary.errorSamples.join('\n'));
	t.is(summary.faults.devices, 40);
	t.true(summary.faults.refused > 0 && summary.faults.cut > 0, JSON.stringify(summary.faults));
	const updated = summary.versionsAfter['2.0.0'] ?? 0;
	t.true(updated >= 25, `only ${updated} of 40 updated`);
	// Nobody is left anywhere but on a version it booted: the old one or the new one.
	t.deepEqual(Object.keys(summary.versionsAfter).filter((v) => !['1.0.0', '1.1.0', '2.0.0'].includes(v)), []);
	// Each success the cloud heard of is a device on 2.0.0; the rest are still on their way.
	t.true(summary.reports.success <= updated);
	t.true(summary.reports.success + summary.reports.undelivered >= updated);
	for (const reason of Object.keys(summary.reasons)) {
		t.true(['CONNECTION_LOST', 'DOWNLOAD_FAILED', 'TIMEOUT', 'SELF_TEST_FAILED', 'RELEASE_BLOCKED', 'CHECKIN_REFUSED', 'BAD_RESPONSE'].includes(reason), reason);
	}
});

test('devices spread over child processes go through the same rollout, with the same faults', async (t) => {
	const cloud = await startTestCloud(t, { autoHalt: { failures: null, percentage: null } });
	const faults = { share: 0.3, refuse: 0, cut: 0.05 };
	const sharded = await runFleet(options(cloud, { devices: 40, shards: 2, faults, plan: { stages: [50, 100], limit: null, rate: null, period: null, policy: '' } }));
	t.is(sharded.errors, 0, sharded.errorSamples.join('\n'));
	t.is(sharded.shards, 2);
	t.is(sharded.versionsAfter['2.0.0'], 40);
	t.is(sharded.release.counters.devices, 40);
	t.true(sharded.fleetCpuMs > 0);
	const alone = await runFleet(options(cloud, { devices: 40, product: 'other', faults, plan: { stages: [], limit: null, rate: null, period: null, policy: '' } }));
	t.is(alone.faults.devices, sharded.faults.devices);
	t.deepEqual(alone.versionsBefore, sharded.versionsBefore);
});

test('bad fleet options are refused before anything starts', async (t) => {
	const cloud = { url: 'https://localhost:1', caPem: '', fleetToken: 'f', adminToken: 'a' };
	// [what is wrong, the options]
	const table: [string, Partial<FleetRunOptions>][] = [
		['concurrency', { concurrency: 0 }],
		['image size', { imageSize: 10 }],
		['idle scale', { idleScale: 0.5 }],
		['stages', { plan: { stages: [50, 10], limit: null, rate: null, period: null, policy: '' } }],
		['rate and period', { plan: { stages: [], limit: null, rate: 5, period: null, policy: '' } }],
		['share', { faults: { share: 2, refuse: 0, cut: 0 } }],
		['shards', { shards: 0 }],
		['odds', { faults: { share: 0.5, refuse: 0.8, cut: 0.8 } }],
	];
	for (const [what, overrides] of table) {
		await t.throwsAsync(runFleet(options(cloud, overrides)), { instanceOf: RangeError }, what);
	}
});
