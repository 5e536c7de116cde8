/*
 * The cloud's admin API and device protocol over HTTPS: release settings, editing a live
 * release, enable, disable, delete, the dry run, per-device tokens, device and report listings,
 * check-in limits, image URLs from the public base URL, and auto-halt seen from outside.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import {
	createDeviceToken, createRelease, deleteRelease, disableRelease, dryRun, enableRelease, getRelease, listDevices, listReleases,
	listReports, updateRelease,
} from '../../simulator/cloud/admin-client';
import { CloudError } from '../../simulator/cloud/errors';
import { call, postJson, startTestCloud, type TestCloud } from '../helpers/cloud';

const CHECKIN = '/tok/provision/update';
const REPORT = '/tok/provision/updateReport';

function admin(cloud: TestCloud) {
	return { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
}

function publish(cloud: TestCloud, version: string, settings: Record<string, unknown> = {}, product = 'p') {
	return createRelease({ ...admin(cloud), product, version, image: Buffer.from(`image of ${product} ${version}`), ...settings });
}

async function checkin(cloud: TestCloud, body: Record<string, unknown>, token = cloud.fleetToken) {
	return postJson(cloud, CHECKIN, body, `bearer ${token}`);
}

test('releases carry Builder\'s fields and can be edited while live', async (t) => {
	const cloud = await startTestCloud(t);
	const created = await publish(cloud, '1.2.0', {
		description: 'canary', policy: 'memory >= 256', limit: 100, percentage: 12.5, rate: 10, period: 3600,
	});
	t.like(created, {
		product: 'p', version: '1.2.0', description: 'canary', policy: 'memory >= 256', enable: true, limit: 100, percentage: 12.5,
		rate: 10, period: 3600, halted: null, size: 'image of p 1.2.0'.length,
		counters: { requests: 0, offered: 0, devices: 0, started: 0, success: 0, failure: 0 },
	});
	t.regex(created.id, /^[0-9a-f]{16}$/);
	t.regex(created.checksum, /^[0-9a-f]{64}$/);
	t.false('haltFrom' in created);
	const disabled = await publish(cloud, '1.3.0', { enable: false });
	t.false(disabled.enable);

	const edited = await updateRelease({ ...admin(cloud), id: created.id, changes: { policy: 'memory >= 128', limit: null, percentage: null } });
	t.like(edited, { policy: 'memory >= 128', limit: null, percentage: null, rate: 10, period: 3600 });
	t.not(edited.updated, undefined);
	t.like((await checkin(cloud, { id: 'd', product: 'p', version: '1.0.0', memory: 128 })).json(), { version: '1.2.0' }, 'the new policy applies at once');
	t.like(await getRelease({ ...admin(cloud), id: created.id }), { counters: { offered: 1, devices: 1 } });

	t.like(await enableRelease({ ...admin(cloud), id: disabled.id }), { enable: true });
	t.like((await checkin(cloud, { id: 'd', product: 'p', version: '1.0.0', memory: 128 })).json(), { version: '1.3.0' });
	t.like(await disableRelease({ ...admin(cloud), id: disabled.id }), { enable: false });
	t.like((await checkin(cloud, { id: 'd', product: 'p', version: '1.0.0', memory: 128 })).json(), { version: '1.2.0' });
});

test('bad settings are refused before the image is taken, with a clear error', async (t) => {
	const cloud = await startTestCloud(t);
	// [settings, status, message]
	const table: [Record<string, unknown>, number, RegExp][] = [
		[{ policy: 'memory >=' }, 400, /policy: unexpected end of the policy .* at column 10$/],
		[{ policy: 'model =~ /(a+/' }, 400, /not closed with \)/],
		[{ percentage: 101 }, 400, /percentage must be a number from 0 to 100/],
		[{ percentage: 'half' }, 400, /percentage must be a number/],
		[{ limit: -1 }, 400, /limit .* must be a whole number from 0/],
		[{ limit: 1.5 }, 400, /limit/],
		[{ rate: 5 }, 400, /rate and period go together/],
		[{ rate: 0, period: 60 }, 400, /rate .* from 1/],
		[{ rate: 5, period: 1e12 }, 400, /period .* to 315360000/],
		[{ description: 'x'.repeat(5000) }, 400, /description is longer than 4096/],
	];
	for (const [settings, status, message] of table) {
		const error = await t.throwsAsync(publish(cloud, '1.0.0', settings), { instanceOf: CloudError }, JSON.stringify(settings));
		t.is(error?.status, status, JSON.stringify(settings));
		t.regex(error?.message ?? '', message, JSON.stringify(settings));
	}
	const syntax = await t.throwsAsync(publish(cloud, '1.0.0', { policy: 'a && && b' }), { instanceOf: CloudError });
	t.like(syntax?.details, { position: 5, column: 6 }, 'the JSON error names the column');
	t.is(syntax?.code, 'bad-policy');

	const upload = (query: string) => call(cloud, `/api/releases?${query}`, {
		method: 'POST', headers: { Authorization: `Bearer ${cloud.adminToken}`, 'Content-Type': 'application/octet-stream' }, body: 'bytes',
	});
	// [query, message]
	const queries: [string, RegExp][] = [
		['product=p&version=1.0.0&colour=red', /unknown query parameter "colour"/],
		['product=p&version=1.0.0&enable=maybe', /enable must be true or false/],
		['product=p&version=1.0.0&limit=0x10', /limit/],
		['product=p&version=1.0.0&policy=a&policy=b', /policy is given 2 times/],
	];
	for (const [query, message] of queries) {
		const answer = await upload(query);
		t.is(answer.status, 400, query);
		t.regex(answer.json().error, message, query);
	}
	t.deepEqual(await listReleases(admin(cloud)), [], 'nothing was created');
	t.true((await upload('product=p&version=1.0.0&limit=&percentage=null&enable=false')).status === 201, 'empty and null clear');

	const id = (await listReleases(admin(cloud)))[0]!.id;
	// [changes, status, message]
	const edits: [unknown, number, RegExp][] = [
		[{}, 400, /nothing to change/],
		[{ version: '2.0.0' }, 400, /unknown field "version"/],
		[{ enable: 'yes' }, 400, /enable must be true or false/],
		[{ policy: 'memory >' }, 400, /column 9/],
		[{ period: null, rate: 3 }, 400, /rate and period go together/],
	];
	for (const [changes, status, message] of edits) {
		const error = await t.throwsAsync(updateRelease({ ...admin(cloud), id, changes: changes as never }), { instanceOf: CloudError });
		t.is(error?.status, status, JSON.stringify(changes));
		t.regex(error?.message ?? '', message, JSON.stringify(changes));
	}
	const missing = await t.throwsAsync(updateRelease({ ...admin(cloud), id: 'nope', changes: { enable: true } }), { instanceOf: CloudError });
	t.is(missing?.status, 404);
});

test('delete: the release, its grants and its unshared image go; reports stay', async (t) => {
	const cloud = await startTestCloud(t);
	const shared = await publish(cloud, '1.0.0');
	const twin = await createRelease({ ...admin(cloud), product: 'q', version: '1.0.0', image: Buffer.from('image of p 1.0.0') });
	t.is(twin.checksum, shared.checksum);
	const offer = (await checkin(cloud, { id: 'd', product: 'p', version: '0.1.0' })).json();
	await postJson(cloud, REPORT, { id: 'd', update: shared.id, success: true }, cloud.fleetToken);
	t.deepEqual(await deleteRelease({ ...admin(cloud), id: shared.id }), { deleted: shared.id });
	t.is((await call(cloud, new URL(offer.url).pathname)).status, 404, 'its image URLs are dead');
	t.true(existsSync(cloud.store.imagePath(twin)), 'an image another release uses stays');
	await deleteRelease({ ...admin(cloud), id: twin.id });
	t.false(existsSync(cloud.store.imagePath(twin)), 'the last user takes the image with it');
	t.is((await listReports({ ...admin(cloud), release: shared.id })).length, 1);
	const again = await t.throwsAsync(deleteRelease({ ...admin(cloud), id: shared.id }), { instanceOf: CloudError });
	t.is(again?.status, 404);
	t.deepEqual((await checkin(cloud, { id: 'd', product: 'p', version: '0.1.0' })).json(), { message: 'No update available' });
});

test('dry run: which known devices a policy would reach, from their latest check-in', async (t) => {
	const cloud = await startTestCloud(t);
	// [device id, version, memory, model]
	const fleet: [string, string, number, string][] = [
		['a', '1.0.0', 128, 'esp32-s3'],
		['b', '1.0.0', 256, 'esp32-c3'],
		['c', '1.1.0', 512, 'esp32-s3'],
		['d', '2.0.0', 512, 'esp32-s3'], // already runs the version: never counted
		['e', '1.5.0', 1024, 'stm32'],
	];
	for (const [id, version, memory, model] of fleet) await checkin(cloud, { id, product: 'p', version, memory, model });
	await checkin(cloud, { id: 'x', product: 'other', version: '1.0.0', memory: 4096 });
	const run = (policy: string) => dryRun({ ...admin(cloud), product: 'p', version: '2.0.0', policy });
	t.like(await run('memory >= 256'), { total: 4, matched: 3, truncated: false });
	t.deepEqual((await run('memory >= 256 && model ^= "esp32"')).devices.map((d) => d.id), ['b', 'c']);
	t.like(await run(''), { matched: 4 }, 'the default policy: every device on an older version');
	t.like(await run('semver(version, ">=", "1.1.0")'), { matched: 2 });
	const release = await publish(cloud, '2.0.0', { policy: 'model == "stm32"' });
	t.like(await dryRun({ ...admin(cloud), release: release.id }), { product: 'p', version: '2.0.0', policy: 'model == "stm32"', matched: 1 });
	t.like(await dryRun({ ...admin(cloud), release: release.id, policy: 'memory > 100' }), { matched: 4 });
	const bad = await t.throwsAsync(run('memory >'), { instanceOf: CloudError });
	t.is(bad?.status, 400);
	t.is((await t.throwsAsync(dryRun({ ...admin(cloud), release: 'nope' }), { instanceOf: CloudError }))?.status, 404);
});

test('per-device tokens: a device checks in and reports as itself only; the fleet token keeps working', async (t) => {
	const cloud = await startTestCloud(t);
	await publish(cloud, '2.0.0');
	const { token } = await createDeviceToken({ ...admin(cloud), id: 'dev 1' });
	t.regex(token, /^[0-9a-f]{64}$/);
	// [Authorization, body id, status]
	const table: [string, string, number][] = [
		[`bearer ${token}`, 'dev 1', 200],
		[token, 'dev 1', 200],
		[`Bearer ${token}`, 'dev 2', 403],
		[`bearer ${token.slice(1)}`, 'dev 1', 401],
		[`bearer ${cloud.fleetToken}`, 'dev 2', 200],
		[`bearer ${cloud.adminToken}`, 'dev 1', 401],
	];
	for (const [authorization, id, status] of table) {
		const answer = await postJson(cloud, CHECKIN, { id, product: 'p', version: '1.0.0' }, authorization);
		t.is(answer.status, status, `${authorization.slice(0, 12)} as ${id}`);
	}
	t.is((await postJson(cloud, REPORT, { id: 'dev 2', update: 'u', success: true }, token)).status, 403);
	t.is((await postJson(cloud, REPORT, { id: 'dev 1', update: 'u', success: true }, token)).status, 200);
	const second = await createDeviceToken({ ...admin(cloud), id: 'dev 1' });
	t.is((await checkin(cloud, { id: 'dev 1', product: 'p', version: '1.0.0' }, token)).status, 401, 'a new token replaces the old one');
	t.is((await checkin(cloud, { id: 'dev 1', product: 'p', version: '1.0.0' }, second.token)).status, 200);
	const revoke = await call(cloud, `/api/devices/${encodeURIComponent('dev 1')}/token`, { method: 'DELETE', headers: { Authorization: cloud.adminToken } });
	t.deepEqual(revoke.json(), { revoked: 'dev 1' });
	t.is((await checkin(cloud, { id: 'dev 1', product: 'p', version: '1.0.0' }, second.token)).status, 401);
	t.is((await call(cloud, '/api/devices/x/token', { method: 'POST', headers: { Authorization: cloud.fleetToken } })).status, 401,
		'only administrators make tokens');
});

test('devices and reports are listed for administrators', async (t) => {
	const cloud = await startTestCloud(t);
	const release = await publish(cloud, '2.0.0');
	await checkin(cloud, { id: 'b', product: 'p', version: '1.0.0', memory: 1 });
	await checkin(cloud, { id: 'a', product: 'p', version: '1.0.0' });
	await checkin(cloud, { id: 'c', product: 'q', version: '1.0.0' });
	t.deepEqual((await listDevices(admin(cloud))).map((d) => d.id), ['a', 'b', 'c']);
	const [b] = await listDevices({ ...admin(cloud), product: 'p' }).then((list) => list.filter((d) => d.id === 'b'));
	t.like(b, { id: 'b', product: 'p', version: '1.0.0', offered: release.id, properties: { memory: 1 } });
	const one = await call(cloud, '/api/devices/b', { headers: { Authorization: cloud.adminToken } });
	t.like(one.json(), { id: 'b' });
	t.is((await call(cloud, '/api/devices/zz', { headers: { Authorization: cloud.adminToken } })).status, 404);
	for (const [id, success, reason] of [['a', true, undefined], ['b', false, 'FLASH_ERROR']] as const) {
		await postJson(cloud, REPORT, { id, update: release.id, success, reason, version: '2.0.0' }, cloud.fleetToken);
	}
	const reports = await listReports({ ...admin(cloud), release: release.id });
	t.deepEqual(reports.map((r) => [r.id, r.success, r.reason]), [['b', false, 'FLASH_ERROR'], ['a', true, undefined]], 'newest first');
	t.deepEqual((await listReports({ ...admin(cloud), device: 'a', limit: 1 })).map((r) => r.id), ['a']);
	t.is((await call(cloud, '/api/reports?limit=0', { headers: { Authorization: cloud.adminToken } })).status, 400);
	t.like(await getRelease({ ...admin(cloud), id: release.id }), { counters: { success: 1, failure: 1, devices: 2, offered: 2 } });
});

test('check-ins: at most 50 properties, bounded names and strings; every property reaches the policy', async (t) => {
	const cloud = await startTestCloud(t);
	await publish(cloud, '2.0.0', { policy: 'p45 == 45 && flag' });
	const body = (count: number) => {
		const out: Record<string, unknown> = { id: 'd', product: 'p', version: '1.0.0', flag: true };
		for (let i = 0; out && Object.keys(out).length < count; i++) out[`p${i}`] = i;
		return out;
	};
	t.like((await checkin(cloud, body(50))).json(), { version: '2.0.0' });
	// [body, message]
	const table: [Record<string, unknown>, RegExp][] = [
		[body(51), /has 51 properties; at most 50/],
		[{ id: 'd', product: 'p', version: '1.0.0', long: 'x'.repeat(4097) }, /property "long" is longer than 4096/],
		[{ id: 'd', product: 'p', version: '1.0.0', ['n'.repeat(129)]: 1 }, /property names must be 1 to 128/],
		[{ id: 'd', product: 'p', version: '1.0.0', '': 1 }, /property names must be 1 to 128/],
		[{ id: 'd\n', product: 'p', version: '1.0.0' }, /control characters/],
		[{ id: 'd', product: 'p', version: ['1.0.0'] }, /SemVer/],
		[{ id: 7, product: 'p', version: '1.0.0' }, /id must be a string/],
	];
	for (const [input, message] of table) {
		const answer = await checkin(cloud, input);
		t.is(answer.status, 400, JSON.stringify(input).slice(0, 80));
		t.regex(answer.json().error, message);
	}
	t.like((await checkin(cloud, { id: 'd', product: 'p', version: '1.0.0', flag: true, p45: 45, nested: { a: [1] } })).json(), { version: '2.0.0' },
		'nested values are accepted (policies see them as null)');
});

test('image URLs: https, from the public URL, one per device, counted as started on first download', async (t) => {
	const cloud = await startTestCloud(t, { publicUrl: 'https://updates.example.test:443/ota/' });
	t.is(cloud.publicUrl, 'https://updates.example.test/ota', 'the default https port is left out');
	const release = await publish(cloud, '2.0.0');
	const first = (await checkin(cloud, { id: 'a', product: 'p', version: '1.0.0' })).json();
	const second = (await checkin(cloud, { id: 'b', product: 'p', version: '1.0.0' })).json();
	t.regex(first.url, /^https:\/\/updates\.example\.test\/ota\/images\/[0-9a-f]{32}\/[0-9a-f]{64}\.bin$/);
	t.not(first.url, second.url, 'each device has its own URL');
	t.is((await checkin(cloud, { id: 'a', product: 'p', version: '1.0.0' })).json().url, first.url, 'and keeps it');
	// Behind the proxy the path prefix is the proxy's; locally the image is at /images/...
	const local = new URL(first.url).pathname.replace(/^\/ota/, '');
	t.is((await call(cloud, local, { method: 'HEAD' })).status, 200);
	t.like(await getRelease({ ...admin(cloud), id: release.id }), { counters: { started: 0 } }, 'HEAD does not start a download');
	t.is((await call(cloud, local, { headers: { Range: 'bytes=0-3' } })).status, 206);
	await call(cloud, local);
	t.like(await getRelease({ ...admin(cloud), id: release.id }), { counters: { started: 1, devices: 2, offered: 3 } });
	for (const bad of ['http://updates.example.test', 'https://user:pw@x.test', 'https://x.test/?q=1', 'not a url']) {
		await t.throwsAsync(startTestCloud(t, { publicUrl: bad }), { message: /publicUrl/ }, bad);
	}
});

test('auto-halt seen from outside: the release says why, is offered to nobody and its image is refused', async (t) => {
	const cloud = await startTestCloud(t, { autoHalt: { failures: 2 } });
	const older = await publish(cloud, '1.5.0');
	const release = await publish(cloud, '2.0.0');
	const offer = (await checkin(cloud, { id: 'a', product: 'p', version: '1.0.0' })).json();
	t.is(offer.version, '2.0.0');
	await postJson(cloud, REPORT, { id: 'a', update: release.id, success: false, reason: 'CONNECTION_LOST' }, cloud.fleetToken);
	await postJson(cloud, REPORT, { id: 'a', update: release.id, success: false, reason: 'SELF_TEST_FAILED' }, cloud.fleetToken);
	t.true((await getRelease({ ...admin(cloud), id: release.id })).enable);
	await postJson(cloud, REPORT, { id: 'b', update: release.id, success: false, reason: 'ROLLED_BACK' }, cloud.fleetToken);
	const halted = await getRelease({ ...admin(cloud), id: release.id });
	t.false(halted.enable);
	t.regex(halted.halted ?? '', /^auto-halt: 2 of 2 reporting devices failed/);
	t.true(cloud.logLines.some((line) => line.includes(`release ${release.id} (p 2.0.0) halted`)));
	t.like((await checkin(cloud, { id: 'a', product: 'p', version: '1.0.0' })).json(), { version: '1.5.0', update: older.id },
		'devices get the previous release instead');
	const image = await call(cloud, new URL(offer.url).pathname);
	t.is(image.status, 410);
	t.regex(image.json().error, /disabled \(auto-halt/);
	t.like(await enableRelease({ ...admin(cloud), id: release.id }), { enable: true, halted: null });
	t.is((await call(cloud, new URL(offer.url).pathname)).status, 200);
});
