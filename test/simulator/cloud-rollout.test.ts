/*
 * Rollouts: which device gets which release under policies, limit, percentage and rate, the
 * per-release counters, and auto-halt. Driven through the check-in and report functions with a
 * clock the tests control, over a real SQLite store.
 */
import test from 'ava';
import { ReleaseCatalog } from '../../simulator/cloud/catalog';
import { DeviceRegistry } from '../../simulator/cloud/device-registry';
import { checkin, updateReport, type ProvisionContext } from '../../simulator/cloud/provision';
import type { ReleaseSettings } from '../../simulator/cloud/release-fields';
import { ReportLogFile } from '../../simulator/cloud/reports';
import { countsTowardsHalt, NOT_COUNTED_REASONS, type AutoHaltConfig } from '../../simulator/cloud/rollout/auto-halt';
import { rolloutBucket } from '../../simulator/cloud/rollout/percentage';
import { ImageFolder } from '../../simulator/cloud/store/image-folder';
import { SqliteStore } from '../../simulator/cloud/store/sqlite-store';
import { Reason } from '../../modules/reasons';
import { temporaryDir } from '../helpers/cloud';

async function world(t: { teardown(fn: () => unknown): void }, autoHalt: AutoHaltConfig = { failures: null, percentage: null, minDevices: 1 }) {
	const dir = temporaryDir(t);
	const store = new SqliteStore(dir);
	t.teardown(() => store.close());
	const images = new ImageFolder(dir);
	const catalog = await ReleaseCatalog.open(store, images, { autoHalt });
	const clock = { now: Date.parse('2026-03-01T12:00:00Z') };
	const context: ProvisionContext = {
		catalog,
		devices: new DeviceRegistry(store),
		reportLog: new ReportLogFile(dir),
		publicUrl: 'https://updates.example.test',
		now: () => clock.now,
	};
	let n = 0;
	return {
		catalog,
		clock,
		context,
		publish: async (version: string, settings: Partial<ReleaseSettings> = {}, product = 'p') =>
			catalog.create({ product, version, settings, image: images.write(Buffer.from(`image ${++n}`)) }),
		/** The version offered to a device, or undefined. */
		offered: async (id: string, version = '1.0.0', properties: Record<string, unknown> = {}, product = 'p') => {
			const answer = await checkin({ id, product, version, ...properties }, context);
			return 'version' in answer ? answer.version : undefined;
		},
		report: (id: string, update: string, success: boolean, reason?: string) => updateReport({ id, update, success, reason }, context),
	};
}

test('policies choose, the walk goes newest first, and a rollback release reaches only its devices', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	await w.publish('1.2.0', { policy: 'memory >= 256' });
	await w.publish('1.3.0', { policy: 'try-beta-features == 1 && semver(version, "<", newVersion)' });
	await w.publish('1.2.2', { policy: "version == '1.2.3'" }); // rollback: 1.2.3 was bad
	// [device version, properties, version offered]
	const table: [string, Record<string, unknown>, string | undefined][] = [
		['1.0.0', {}, '1.1.0'],
		['1.0.0', { memory: 128 }, '1.1.0'],
		['1.0.0', { memory: 256 }, '1.2.0'],
		['1.0.0', { memory: 256, 'try-beta-features': 1 }, '1.3.0'],
		['1.1.0', {}, undefined],
		['1.2.3', {}, '1.2.2'],
		['1.2.3', { 'try-beta-features': 1 }, '1.3.0'],
		['1.2.2', {}, undefined], // never the version it runs, and the default policy does not go back
		['1.3.0', { 'try-beta-features': 1 }, undefined],
	];
	let i = 0;
	for (const [version, properties, expected] of table) {
		t.is(await w.offered(`d${i++}`, version, properties), expected, `${version} ${JSON.stringify(properties)}`);
	}
});

test('limit: at most N devices are given a release; those given it keep it; others get the next one', async (t) => {
	const w = await world(t);
	const older = await w.publish('1.1.0');
	const limited = await w.publish('1.2.0', { limit: 3 });
	for (const id of ['a', 'b', 'c']) t.is(await w.offered(id), '1.2.0', id);
	t.is(await w.offered('d'), '1.1.0', 'the limit is used up: the walk goes on');
	t.is(await w.offered('a'), '1.2.0', 'a device already given the release keeps it');
	t.like(limited.counters(), { devices: 3, offered: 4 });
	t.like(older.counters(), { devices: 1, offered: 1 });
	await w.catalog.update(limited.id, { limit: 4 });
	t.is(await w.offered('d'), '1.2.0', 'raising the limit of a live release lets one more in');
	await w.catalog.update(limited.id, { limit: null });
	t.is(await w.offered('e'), '1.2.0');
	await w.catalog.update(limited.id, { limit: 0 });
	t.is(await w.offered('f'), '1.1.0');
});

test('percentage: a stable, deterministic share of devices, which only grows when raised', async (t) => {
	const w = await world(t);
	const release = await w.publish('2.0.0', { percentage: 30 });
	const admitted = new Set<string>();
	for (let i = 0; i < 1000; i++) if (await w.offered(`dev-${i}`)) admitted.add(`dev-${i}`);
	t.true(admitted.size > 250 && admitted.size < 350, `${admitted.size} of 1000 admitted at 30%`);
	for (let i = 0; i < 1000; i++) {
		const expected = rolloutBucket(release.id, `dev-${i}`) < 30;
		t.is(admitted.has(`dev-${i}`), expected);
	}
	for (const id of [...admitted].slice(0, 50)) t.is(await w.offered(id), '2.0.0', 'the same answer on every check-in');
	await w.catalog.update(release.id, { percentage: 60 });
	let now = 0;
	for (let i = 0; i < 1000; i++) {
		const offered = await w.offered(`dev-${i}`);
		if (admitted.has(`dev-${i}`)) t.is(offered, '2.0.0', 'raising the percentage keeps everyone admitted');
		if (offered) now++;
	}
	t.true(now > 550 && now < 650, `${now} of 1000 at 60%`);
	await w.catalog.update(release.id, { percentage: 0 });
	t.is(await w.offered([...admitted][0]!), undefined, 'lowering it applies at once, even to devices given it');
	const other = await w.publish('2.0.0', { percentage: 30 }, 'q');
	const overlap = [...admitted].filter((id) => rolloutBucket(other.id, id) < 30).length;
	t.true(overlap < admitted.size * 0.5, 'another release samples other devices');
});

test('rate and period: at most N new devices per sliding window', async (t) => {
	const w = await world(t);
	const release = await w.publish('2.0.0', { rate: 2, period: 60 });
	t.is(await w.offered('a'), '2.0.0');
	w.clock.now += 10_000;
	t.is(await w.offered('b'), '2.0.0');
	t.is(await w.offered('c'), undefined, 'two in the last 60 s');
	t.is(await w.offered('a'), '2.0.0', 'devices already admitted are not counted again');
	w.clock.now += 50_001;
	t.is(await w.offered('c'), '2.0.0', 'a left the window');
	t.is(await w.offered('d'), undefined, 'b and c are in it');
	w.clock.now += 10_000;
	t.is(await w.offered('d'), '2.0.0');
	t.like(release.counters(), { devices: 4 });
	await w.catalog.update(release.id, { rate: 3, period: 3600 }, w.clock.now);
	t.is(await w.offered('e'), undefined, 'a longer period on a live release counts the admissions already made: a, b, c, d');
	await w.catalog.update(release.id, { rate: null, period: null }, w.clock.now);
	t.is(await w.offered('e'), '2.0.0', 'no rate: no window');
	const error = await t.throwsAsync(w.catalog.update(release.id, { period: null, rate: 5 }));
	t.regex(error?.message ?? '', /rate and period go together/);
});

test('counters: requests, offered, devices, started, success, failure', async (t) => {
	const w = await world(t);
	const old = await w.publish('1.0.0');
	const release = await w.publish('1.1.0', { policy: 'memory >= 256' });
	await w.offered('a', '0.9.0', { memory: 512 }); // 1.1.0 considered and offered
	await w.offered('a', '0.9.0', { memory: 512 }); // again
	await w.offered('b', '0.9.0', { memory: 128 }); // considered, policy says no; 1.0.0 offered
	await w.offered('c', '1.1.0'); // runs it: not considered
	const grant = release.grants.get('a')!;
	await w.catalog.start(release, grant, w.clock.now);
	await w.catalog.start(release, grant, w.clock.now);
	await w.report('a', release.id, true);
	await w.report('b', old.id, false, 'INTEGRITY_CHECK_FAILURE');
	t.deepEqual(release.counters(), { requests: 3, offered: 2, devices: 1, started: 1, success: 1, failure: 0 });
	t.deepEqual(old.counters(), { requests: 2, offered: 1, devices: 1, started: 0, success: 0, failure: 1 });
});

test('auto-halt: counted failures and the share of failing devices', async (t) => {
	// [rule, reports as (device, success, reason), halted?]
	type Step = [string, boolean, string | undefined];
	const table: [AutoHaltConfig, Step[], boolean][] = [
		[{ failures: 2, percentage: null, minDevices: 1 }, [['a', false, 'SELF_TEST_FAILED'], ['b', false, 'INTEGRITY_CHECK_FAILURE']], true],
		[{ failures: 2, percentage: null, minDevices: 1 }, [['a', false, 'SELF_TEST_FAILED'], ['a', false, 'SELF_TEST_FAILED']], false], // one device
		[{ failures: 2, percentage: null, minDevices: 1 }, [['a', false, 'CONNECTION_LOST'], ['b', false, 'INTERRUPTED'], ['c', false, 'DOWNLOAD_FAILED']], false],
		[{ failures: 2, percentage: null, minDevices: 1 }, [['a', false, undefined], ['b', false, 'some text from another updater']], true],
		[{ failures: 2, percentage: null, minDevices: 1 }, [['a', false, 'AGENT_CRASHED'], ['a', true, undefined], ['b', false, 'AGENT_CRASHED']], false], // a recovered
		[{ failures: null, percentage: 50, minDevices: 4 }, [['a', false, 'FLASH_ERROR'], ['b', true, undefined], ['c', false, 'FLASH_ERROR']], false], // 3 < 4 devices
		[{ failures: null, percentage: 50, minDevices: 4 }, [['a', false, 'FLASH_ERROR'], ['b', true, undefined], ['c', false, 'FLASH_ERROR'], ['d', true, undefined]], true],
		[{ failures: null, percentage: 50, minDevices: 4 }, [['a', false, 'FLASH_ERROR'], ['b', true, undefined], ['c', true, undefined], ['d', true, undefined], ['e', false, 'NOT_ENOUGH_SPACE']], false], // 40%
		[{ failures: null, percentage: null, minDevices: 1 }, [['a', false, undefined], ['b', false, undefined], ['c', false, undefined]], false],
	];
	for (const [config, steps, halted] of table) {
		const w = await world(t, config);
		const release = await w.publish('2.0.0');
		for (const [device, success, reason] of steps) await w.report(device, release.id, success, reason);
		const what = `${JSON.stringify(config)} ${JSON.stringify(steps)}`;
		t.is(release.record.enable, !halted, what);
		t.is(release.record.halted !== null, halted, what);
		if (halted) t.is(await w.offered('z'), undefined, 'a halted release is offered to nobody');
	}
});

test('auto-halt says why; enabling again clears it and counts afresh', async (t) => {
	const w = await world(t, { failures: 2, percentage: null, minDevices: 1 });
	const release = await w.publish('2.0.0');
	await w.report('a', release.id, false, 'SELF_TEST_FAILED');
	await w.report('b', release.id, false, 'SELF_TEST_FAILED');
	t.false(release.record.enable);
	t.is(release.record.halted, 'auto-halt: 2 of 2 reporting devices failed (100%; SELF_TEST_FAILED x2); the limit is 2');
	await w.catalog.update(release.id, { policy: 'memory > 1' });
	t.false(release.record.enable, 'editing a halted release does not resume it');
	await w.catalog.update(release.id, { enable: true });
	t.is(release.record.halted, null);
	t.is(await w.offered('c', '1.0.0', { memory: 2 }), '2.0.0');
	await w.report('c', release.id, false, 'SELF_TEST_FAILED');
	t.true(release.record.enable, 'only failures since it was enabled count');
	await w.report('d', release.id, false, 'SELF_TEST_FAILED');
	t.false(release.record.enable);
	t.like(release.counters(), { failure: 4 });
});

test('which reasons count towards auto-halt', (t) => {
	// [success, reason, counts]
	const table: [boolean, string | undefined, boolean][] = [
		[true, undefined, false],
		[false, undefined, true],
		[false, 'INTEGRITY_CHECK_FAILURE', true],
		[false, 'NOT_ENOUGH_SPACE', true],
		[false, 'DOWNGRADE_REFUSED', true],
		[false, 'FLASH_ERROR', true],
		[false, 'SELF_TEST_FAILED', true],
		[false, 'ROLLED_BACK', true],
		[false, 'APP_ROLLBACK', true],
		[false, 'AGENT_CRASHED', true],
		[false, 'CONNECTION_LOST', false],
		[false, 'TIMEOUT', false],
		[false, 'CHECKIN_REFUSED', false],
		[false, 'BAD_RESPONSE', false],
		[false, 'DOWNLOAD_FAILED', false],
		[false, 'INTERRUPTED', false],
		[false, 'CONFIG_ERROR', false],
		[false, 'VETOED', false],
		[false, 'RELEASE_BLOCKED', false],
		[false, 'SIGNATURE_INVALID', true],
		[false, 'MANIFEST_EXPIRED', true],
		[false, 'IMAGE_TAMPERED', true],
		[false, 'checksum mismatch (free text)', true],
	];
	for (const [success, reason, counts] of table) t.is(countsTowardsHalt(success, reason), counts, String(reason));
	// A reason the agent gains later counts until it is listed as not counted: when in doubt, stop.
	const decided = new Set(table.map(([, reason]) => reason));
	for (const reason of Object.values(Reason) as string[]) {
		if (!decided.has(reason)) t.log(`${reason}: counts (not in the table above)`);
		t.is(countsTowardsHalt(false, reason), !NOT_COUNTED_REASONS.has(reason), reason);
	}
	for (const reason of NOT_COUNTED_REASONS) t.true((Object.values(Reason) as string[]).includes(reason), `${reason} is not a reason the agent knows`);
});
