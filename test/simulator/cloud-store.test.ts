/*
 * The cloud's storage: the SQLite store behind its interface, content-addressed images, what a
 * crash leaves behind, and the release catalog rebuilt from the store after a restart.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { ReleaseCatalog } from '../../simulator/cloud/catalog';
import { DeviceRegistry } from '../../simulator/cloud/device-registry';
import { CloudError } from '../../simulator/cloud/errors';
import { ImageFolder } from '../../simulator/cloud/store/image-folder';
import type { ReleaseRecord } from '../../simulator/cloud/store/records';
import { DATABASE_FILE, SqliteStore } from '../../simulator/cloud/store/sqlite-store';
import { temporaryDir } from '../helpers/cloud';

function record(id: string, version: string, options: Partial<ReleaseRecord> = {}): ReleaseRecord {
	return {
		id, product: 'p', version, description: '', policy: '', enable: true, limit: null, percentage: null, rate: null, period: null,
		checksum: 'a'.repeat(64), size: 10, created: '2026-01-01T00:00:00.000Z', updated: '2026-01-01T00:00:00.000Z',
		halted: null, haltFrom: 0, downgrade: false, manifest: null, signatures: null, ...options,
	};
}

function sha256(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

test('releases, grants, traffic: stored, refused when duplicate, deleted with what hangs on them', async (t) => {
	const dir = temporaryDir(t);
	const store = new SqliteStore(dir);
	t.teardown(() => store.close());
	const first = record('0000000000000001', '1.0.0', { policy: 'memory >= 256', limit: 5, percentage: 12.5, rate: 3, period: 60 });
	await store.insertRelease(first);
	await store.insertRelease(record('0000000000000002', '1.1.0', { product: 'q' }));
	t.deepEqual(await store.listReleases(), [first, record('0000000000000002', '1.1.0', { product: 'q' })]);

	// Equal precedence (build metadata differs) is a duplicate; another product is not.
	const duplicate = await t.throwsAsync(store.insertRelease(record('0000000000000003', '1.0.0+build.9')), { instanceOf: CloudError });
	t.is(duplicate?.status, 409);
	t.regex(duplicate?.message ?? '', /already has release 1\.0\.0 \(id 0000000000000001\)/);
	await store.insertRelease(record('0000000000000004', '1.0.0', { product: 'other' }));

	await store.updateRelease({ ...first, enable: false, halted: 'auto-halt: test', haltFrom: 7 });
	t.like((await store.listReleases())[0], { enable: false, halted: 'auto-halt: test', haltFrom: 7 });

	await store.insertGrant({ release: first.id, device: 'd1', token: '1'.repeat(32), offered: 1000, started: null });
	await store.insertGrant({ release: first.id, device: 'd2', token: '2'.repeat(32), offered: 2000, started: null });
	await t.throwsAsync(store.insertGrant({ release: first.id, device: 'd1', token: '3'.repeat(32), offered: 1, started: null }),
		{ any: true, message: /PRIMARY KEY|UNIQUE/ }, 'one grant per device and release');
	await store.markStarted(first.id, 'd1', 1500);
	await store.markStarted(first.id, 'd1', 9999);
	t.deepEqual((await store.listGrants()).find((g) => g.device === 'd1'), { release: first.id, device: 'd1', token: '1'.repeat(32), offered: 1000, started: 1500 },
		'the first download time is kept');

	await store.addTraffic(new Map([[first.id, { requests: 5, offered: 2 }], ['no-such-release', { requests: 1, offered: 1 }]]));
	await store.addTraffic(new Map([[first.id, { requests: 1, offered: 1 }]]));
	t.deepEqual(await store.listTraffic(), new Map([[first.id, { requests: 6, offered: 3 }]]));

	await store.appendReport({ time: 't', id: 'd1', update: first.id, success: false, reason: 'INTEGRITY_CHECK_FAILURE' });
	await store.deleteRelease(first.id);
	t.deepEqual((await store.listReleases()).map((r) => r.id), ['0000000000000002', '0000000000000004']);
	t.deepEqual(await store.listGrants(), [], 'grants go with their release');
	t.deepEqual(await store.listTraffic(), new Map(), 'so do its counters');
	t.is((await store.listReports()).length, 1, 'reports stay: they are history');
	await store.insertRelease(record('0000000000000005', '1.0.0'));
	t.pass('the version is free again once deleted');
});

test('devices, device tokens and reports', async (t) => {
	const dir = temporaryDir(t);
	const store = new SqliteStore(dir);
	t.teardown(() => store.close());
	const device = (id: string, product: string, version: string, propertiesJson = JSON.stringify({ id, product, version, memory: 256 })) => ({
		id, product, version, propertiesJson, lastCheckin: '2026-01-01T00:00:00.000Z', offered: null,
	});
	await store.saveDevices([device('b', 'p', '1.0.0'), device('a', 'p', '1.0.0'), device('c', 'q', '2.0.0')]);
	await store.saveDevices([device('a', 'p', '1.1.0', '{"id":"a", "memory":512}')]);
	t.deepEqual(await store.getDevice('a'), { id: 'a', product: 'p', version: '1.1.0', properties: { id: 'a', memory: 512 }, lastCheckin: '2026-01-01T00:00:00.000Z', offered: null });
	t.is(await store.getDevice('nope'), undefined);
	t.deepEqual((await store.listDevices()).map((d) => d.id), ['a', 'b', 'c']);
	t.deepEqual((await store.listDevices('q')).map((d) => d.id), ['c']);

	await store.setDeviceToken('a', 'h1', 'now');
	await store.setDeviceToken('a', 'h2', 'later');
	await store.setDeviceToken('b', 'h3', 'now');
	t.deepEqual((await store.listDeviceTokens()).sort((x, y) => x.device.localeCompare(y.device)), [{ device: 'a', hash: 'h2' }, { device: 'b', hash: 'h3' }]);
	t.true(await store.deleteDeviceToken('a'));
	t.false(await store.deleteDeviceToken('a'));

	// [device, release, success, reason]
	const reports: [string, string, boolean, string | undefined][] = [
		['a', 'r1', true, undefined],
		['b', 'r1', false, 'ROLLED_BACK'],
		['a', 'r2', false, undefined],
		['c', 'r1', true, undefined],
	];
	for (const [id, update, success, reason] of reports) {
		const stored = await store.appendReport({ time: 't', id, update, success, ...(reason ? { reason } : {}), version: '1.0.0' });
		t.true(stored.seq > 0);
	}
	t.deepEqual((await store.listReports()).map((r) => r.seq), [1, 2, 3, 4], 'oldest first');
	t.deepEqual((await store.listReports({ limit: 2 })).map((r) => r.seq), [4, 3], 'a limit gives the newest');
	t.deepEqual((await store.listReports({ release: 'r1', after: 1 })).map((r) => r.id), ['b', 'c']);
	t.deepEqual((await store.listReports({ device: 'a' })).map((r) => r.update), ['r1', 'r2']);
	t.deepEqual((await store.listReports({ device: 'b' }))[0], { seq: 2, time: 't', id: 'b', update: 'r1', success: false, reason: 'ROLLED_BACK', version: '1.0.0' });
	t.deepEqual((await store.reportTotals()).sort((x, y) => x.release.localeCompare(y.release)),
		[{ release: 'r1', success: 2, failure: 1 }, { release: 'r2', success: 0, failure: 1 }]);
});

test('the database survives a reopen; a closed store refuses work; a foreign schema is refused', async (t) => {
	const dir = temporaryDir(t);
	const store = new SqliteStore(dir);
	await store.insertRelease(record('0000000000000001', '1.0.0'));
	await store.close();
	await store.close();
	await t.throwsAsync(store.listReleases(), { message: /closed/ });
	const again = new SqliteStore(dir);
	t.deepEqual((await again.listReleases()).map((r) => r.version), ['1.0.0']);
	await again.close();

	const db = new Database(join(dir, DATABASE_FILE));
	db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema'").run();
	db.close();
	t.throws(() => new SqliteStore(dir), { message: /schema version 99; this cloud understands 1/ });
	writeFileSync(join(dir, DATABASE_FILE), 'this is not a database');
	t.throws(() => new SqliteStore(dir), { message: /cannot open the cloud database/ });
});

test('images: content-addressed, flushed before they are named, refused whole when too large', async (t) => {
	const dir = temporaryDir(t);
	const images = new ImageFolder(dir);
	const bytes = Buffer.from('firmware image bytes'.repeat(100));
	const received = await images.receive(Readable.from([bytes.subarray(0, 700), bytes.subarray(700)]), 10_000);
	t.is(received.checksum, sha256(bytes));
	t.is(received.size, bytes.length);
	t.false(existsSync(images.path(received.checksum)), 'not named before commit');
	received.commit();
	t.deepEqual(readdirSync(images.dir), [`${sha256(bytes)}.bin`]);
	const same = images.write(bytes);
	same.commit();
	t.deepEqual(readdirSync(images.dir), [`${sha256(bytes)}.bin`], 'the same bytes are stored once');

	// [chunks, status, message]
	const refused: [Buffer[], number, RegExp][] = [
		[[Buffer.alloc(6000), Buffer.alloc(6000)], 413, /larger than 10000/],
		[[], 400, /empty/],
	];
	for (const [chunks, status, message] of refused) {
		const error = await t.throwsAsync(images.receive(Readable.from(chunks), 10_000), { instanceOf: CloudError, message });
		t.is(error?.status, status);
	}
	const broken = new Readable({ read() {} });
	broken.push(Buffer.alloc(100));
	setImmediate(() => broken.destroy(new Error('connection reset')));
	await t.throwsAsync(images.receive(broken, 10_000), { message: /not received completely: connection reset/ });
	t.deepEqual(readdirSync(images.dir), [`${sha256(bytes)}.bin`], 'refused uploads leave no temporary file');
	t.throws(() => images.path('../../etc/passwd'), { message: /not a SHA-256/ });
});

test('a crash mid-upload leaves no half-release: leftovers are swept at the next start', async (t) => {
	const dir = temporaryDir(t);
	{
		const store = new SqliteStore(dir);
		const images = new ImageFolder(dir);
		const catalog = await ReleaseCatalog.open(store, images);
		await catalog.create({ product: 'p', version: '1.0.0', settings: {}, image: images.write(Buffer.from('kept')) });
		await store.close();
	}
	// What a crash can leave: a temporary upload, and an image renamed into place whose release
	// was never recorded.
	const images = new ImageFolder(dir);
	writeFileSync(join(images.dir, '.upload.123.abcdef.tmp'), 'half an image');
	const orphan = images.write(Buffer.from('orphan'));
	orphan.commit();
	const lines: string[] = [];
	const store = new SqliteStore(dir);
	t.teardown(() => store.close());
	const catalog = await ReleaseCatalog.open(store, images, { log: (line) => lines.push(line) });
	t.deepEqual(catalog.list().map((r) => r.record.version), ['1.0.0']);
	t.deepEqual(readdirSync(images.dir), [`${sha256(Buffer.from('kept'))}.bin`]);
	t.true(lines.some((line) => /removed 2 image file/.test(line)));
});

test('the catalog rebuilds grants, counters and halts from the store', async (t) => {
	const dir = temporaryDir(t);
	let id: string;
	{
		const store = new SqliteStore(dir);
		const images = new ImageFolder(dir);
		const catalog = await ReleaseCatalog.open(store, images, { autoHalt: { failures: 2, percentage: null, minDevices: 1 } });
		const release = await catalog.create({ product: 'p', version: '2.0.0', settings: { limit: 10 }, image: images.write(Buffer.from('x')) });
		id = release.id;
		const grant = await catalog.grant(release, 'd1', Date.now());
		await catalog.grant(release, 'd2', Date.now());
		await catalog.start(release, grant, Date.now());
		catalog.countRequest(release);
		catalog.countRequest(release);
		catalog.countOffer(release);
		await catalog.flush();
		catalog.countRequest(release); // not flushed: lost in the "crash" below
		await catalog.report({ time: 't', id: 'd1', update: id, success: true });
		await catalog.report({ time: 't', id: 'd2', update: id, success: false, reason: 'CONNECTION_LOST' });
		t.true(catalog.get(id)!.record.enable, 'a transport failure does not count');
		await store.close();
	}
	const store = new SqliteStore(dir);
	t.teardown(() => store.close());
	const images = new ImageFolder(dir);
	const catalog = await ReleaseCatalog.open(store, images, { autoHalt: { failures: 2, percentage: null, minDevices: 1 } });
	const release = catalog.get(id)!;
	t.deepEqual(release.counters(), { requests: 2, offered: 1, devices: 2, started: 1, success: 1, failure: 1 });
	t.is(catalog.byToken(release.grants.get('d1')!.token)?.grant.device, 'd1');
	await catalog.report({ time: 't', id: 'd3', update: id, success: false, reason: 'ROLLED_BACK' });
	t.true(release.record.enable, 'one counted failure of two');
	await catalog.report({ time: 't', id: 'd2', update: id, success: false, reason: 'AGENT_CRASHED' });
	t.false(release.record.enable, 'the tally survived the restart: the second counted failure halts');
	t.regex(release.record.halted ?? '', /auto-halt: 2 of 3 reporting devices failed .*ROLLED_BACK x1.*AGENT_CRASHED x1.*the limit is 2/);
	t.deepEqual(catalog.candidates('p'), []);
});

test('device records: written in batches, an unchanged check-in at most once a minute', async (t) => {
	const dir = temporaryDir(t);
	const store = new SqliteStore(dir);
	t.teardown(() => store.close());
	let writes = 0;
	// The store, counting the device rows it is asked to write.
	const counting = new Proxy(store, {
		get(target, name) {
			if (name === 'saveDevices') {
				return (devices: Parameters<SqliteStore['saveDevices']>[0]) => {
					writes += devices.length;
					return target.saveDevices(devices);
				};
			}
			const value: unknown = Reflect.get(target, name, target);
			return typeof value === 'function' ? value.bind(target) : value;
		},
	});
	const registry = new DeviceRegistry(counting);
	const checkin = (version: string, memory: number, time: number, offered: string | null = null) => registry.record({
		id: 'd', product: 'p', version, propertiesJson: JSON.stringify({ memory }), lastCheckin: new Date(time).toISOString(), offered,
	}, time);
	const start = Date.parse('2026-01-01T00:00:00Z');
	// [version, memory, offered, seconds after start, written by the next flush]
	const table: [string, number, string | null, number, boolean][] = [
		['1.0.0', 1, null, 0, true],
		['1.0.0', 1, null, 10, false], // nothing changed
		['1.0.0', 2, null, 20, true], // a property changed
		['1.1.0', 2, null, 30, true], // the version changed
		['1.1.0', 2, 'r1', 40, true], // the offer changed
		['1.1.0', 2, 'r1', 90, false],
		['1.1.0', 2, 'r1', 101, true], // a minute since the last write
	];
	for (const [version, memory, offered, seconds, written] of table) {
		checkin(version, memory, start + seconds * 1000, offered);
		const before = writes;
		await registry.flush();
		t.is(writes - before, written ? 1 : 0, `${version} ${memory} ${offered} at ${seconds} s`);
	}
	t.like(await registry.get('d'), { version: '1.1.0', offered: 'r1', properties: { memory: 2 }, lastCheckin: new Date(start + 101_000).toISOString() });
	checkin('1.2.0', 3, start + 102_000);
	t.like(await registry.get('d'), { version: '1.2.0', properties: { memory: 3 } }, 'reads see what is not written yet');
	t.is(writes, 5);
});
