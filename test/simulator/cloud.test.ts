/*
 * The simulator's device cloud: selection, tokens, the Ioto device endpoints, image downloads with
 * ranges, the release API and its client, persistence across restarts, and refusal of bad input.
 * Everything goes over real HTTPS on 127.0.0.1 with the cloud's own CA.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { createRelease, getRelease, listReleases } from '../../simulator/cloud/admin-client';
import { parseByteRange, type ByteRange } from '../../simulator/cloud/byte-range';
import { CloudError } from '../../simulator/cloud/errors';
import { LiveRelease } from '../../simulator/cloud/live-release';
import type { ReleaseRecord } from '../../simulator/cloud/store/records';
import { selectRelease } from '../../simulator/cloud/selection';
import { loadOrCreateTokens, tokenFromAuthorization, tokenMatches } from '../../simulator/cloud/tokens';
import { createCa } from '../../simulator/tls/certificates';
import { call, postJson, startTestCloud, temporaryDir, withCloud, type TestCloud } from '../helpers/cloud';

const CHECKIN = '/tok/provision/update';
const REPORT = '/tok/provision/updateReport';

/** Deterministic image bytes of `size`, different per seed. */
function image(size: number, seed = 1): Uint8Array {
	const bytes = new Uint8Array(size);
	let x = seed * 2654435761 >>> 0;
	for (let i = 0; i < size; i++) {
		x = (x * 1103515245 + 12345) >>> 0;
		bytes[i] = x >>> 24;
	}
	return bytes;
}

function sha256(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

function publish(cloud: TestCloud, product: string, version: string, bytes = image(1000), description?: string) {
	return createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version, image: bytes, description });
}

function checkin(cloud: TestCloud, body: Record<string, unknown>) {
	return postJson(cloud, CHECKIN, body, `bearer ${cloud.fleetToken}`);
}

// ---- pure parts ----

function release(version: string, options: Partial<ReleaseRecord> = {}): LiveRelease {
	return new LiveRelease({
		id: `id-${version}`, product: 'p', version, description: '', policy: '', enable: true, limit: null, percentage: null,
		rate: null, period: null, checksum: '0'.repeat(64), size: 1, created: '2026-01-01T00:00:00.000Z',
		updated: '2026-01-01T00:00:00.000Z', halted: null, haltFrom: 0, downgrade: false, manifest: null, signatures: null, ...options,
	});
}

test('selection: the newest release newer than the device, never the version it runs', (t) => {
	// Candidates as the catalog hands them over: enabled releases of one product, newest first.
	const candidates = ['1.2.0-beta.1', '1.1.1', '1.1.0', '1.0.0'].map((v) => release(v));
	const select = (version: string) => selectRelease(candidates, { id: 'd', version, properties: {} }, 0)?.release.record.version;
	// [device version, version offered (undefined = none)]
	const table: [string, string | undefined][] = [
		['0.0.1', '1.2.0-beta.1'],
		['1.0.0', '1.2.0-beta.1'],
		['1.1.1', '1.2.0-beta.1'],
		['1.2.0-alpha.9', '1.2.0-beta.1'],
		['1.2.0-beta.1', undefined], // never the version it runs
		['1.2.0-beta.1+build.5', undefined], // build metadata has no precedence
		['1.2.0-beta.2', undefined],
		['1.2.0', undefined], // a release is newer than its pre-releases
		['10.0.0', undefined],
	];
	for (const [device, offered] of table) t.is(select(device), offered, `device at ${device}`);
	t.is(selectRelease([], { id: 'd', version: '1.0.0', properties: {} }, 0), undefined);
});

test('byte ranges: single ranges are served, everything odd is the whole image', (t) => {
	const size = 100;
	// [Range header, expected result for a 100-byte image]
	const table: [string | undefined, ByteRange][] = [
		[undefined, { kind: 'full' }],
		['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
		['bytes=90-', { kind: 'partial', start: 90, end: 99 }],
		['bytes=-10', { kind: 'partial', start: 90, end: 99 }],
		['bytes=-1000', { kind: 'partial', start: 0, end: 99 }],
		['bytes=50-1000', { kind: 'partial', start: 50, end: 99 }],
		['BYTES = 5-5', { kind: 'partial', start: 5, end: 5 }],
		['bytes=99-99', { kind: 'partial', start: 99, end: 99 }],
		['bytes=100-', { kind: 'unsatisfiable' }],
		['bytes=100-200', { kind: 'unsatisfiable' }],
		['bytes=-0', { kind: 'unsatisfiable' }],
		['bytes=99999999999999999999999-', { kind: 'unsatisfiable' }],
		['bytes=0-1,5-6', { kind: 'full' }], // several ranges: 200 with everything
		['bytes=9-1', { kind: 'full' }], // invalid: ignored
		['bytes=-', { kind: 'full' }],
		['bytes=a-b', { kind: 'full' }],
		['items=0-1', { kind: 'full' }],
		['bytes', { kind: 'full' }],
	];
	for (const [header, expected] of table) t.deepEqual(parseByteRange(header, size), expected, String(header));
});

test('tokens: bearer in any case or bare, compared exactly', (t) => {
	// [Authorization header, token extracted]
	const table: [string | undefined, string | undefined][] = [
		['bearer abc', 'abc'],
		['Bearer abc', 'abc'],
		['BEARER   abc  ', 'abc'],
		['abc', 'abc'],
		['', undefined],
		[undefined, undefined],
		['Basic abc def', undefined],
		['bearer', 'bearer'], // a bare token that happens to read "bearer"
	];
	for (const [header, token] of table) t.is(tokenFromAuthorization(header), token, String(header));
	t.true(tokenMatches('secret-token', 'secret-token'));
	t.false(tokenMatches('secret-toke', 'secret-token'));
	t.false(tokenMatches(undefined, 'secret-token'));
});

test('tokens are created once with mode 0600 and reloaded', (t) => {
	const dir = temporaryDir(t);
	const first = loadOrCreateTokens(dir);
	t.regex(first.fleetToken, /^[0-9a-f]{64}$/);
	t.not(first.fleetToken, first.adminToken);
	t.is(statSync(join(dir, 'tokens.json')).mode & 0o777, 0o600);
	t.deepEqual(loadOrCreateTokens(dir), first);
	writeFileSync(join(dir, 'tokens.json'), '{"fleetToken": 3}');
	t.throws(() => loadOrCreateTokens(dir), { message: /fleetToken/ });
});

// ---- over HTTPS ----

test('selection over HTTPS follows SemVer order, not creation order', async (t) => {
	const cloud = await startTestCloud(t);
	const offered = async (version: string, product = 'sensor') => {
		const answer = await checkin(cloud, { id: 'dev-1', product, version, iotoVersion: '0.1.0', model: 'm' });
		t.is(answer.status, 200);
		t.is(answer.headers['content-type'], 'application/json');
		return answer.json() as { version?: string; url?: string; message?: string };
	};
	await publish(cloud, 'sensor', '1.0.0');
	const v110 = await publish(cloud, 'sensor', '1.1.0', image(1000, 2));
	t.like(await offered('1.0.0'), { version: '1.1.0' });
	const beta = await publish(cloud, 'sensor', '1.2.0-beta.1', image(2000, 3));
	await publish(cloud, 'sensor', '1.1.1', image(1000, 4));
	const answer = await offered('1.0.0');
	t.deepEqual(Object.keys(answer).sort(), ['checksum', 'size', 'update', 'url', 'version']);
	t.like(answer, { version: '1.2.0-beta.1', update: beta.id, checksum: beta.checksum, size: 2000 });
	t.like(await offered('1.1.1'), { version: '1.2.0-beta.1' });
	t.like(await offered('1.2.0-alpha'), { version: '1.2.0-beta.1' });
	t.not(v110.checksum, beta.checksum);
	// [device version] that get nothing
	for (const version of ['1.2.0-beta.1', '1.2.0-beta.2', '1.2.0', '3.0.0']) {
		const none = await offered(version);
		t.deepEqual(none, { message: 'No update available' }, version);
	}
	t.deepEqual(await offered('1.0.0', 'other-product'), { message: 'No update available' });

	const device = await cloud.devices.get('dev-1');
	t.like(device, { product: 'other-product', version: '1.0.0', offered: null });
	t.like(device?.properties, { model: 'm', iotoVersion: '0.1.0' });
	await cloud.flush();
	t.true(existsSync(join(cloud.dataDir, 'cloud.db')));
});

test('device endpoints need the fleet token, bearer or bare', async (t) => {
	const cloud = await startTestCloud(t);
	const body = { id: 'd', product: 'p', version: '1.0.0' };
	// [Authorization header or none, expected status]
	const table: [string | undefined, number][] = [
		[undefined, 401],
		['bearer wrong-token-value', 401],
		[cloud.fleetToken.slice(0, -1), 401],
		[`bearer ${cloud.adminToken}`, 401], // the admin token is not a device token
		[`bearer ${cloud.fleetToken}`, 200],
		[`Bearer ${cloud.fleetToken}`, 200],
		[cloud.fleetToken, 200],
	];
	for (const [authorization, status] of table) {
		const answer = await postJson(cloud, CHECKIN, body, authorization);
		t.is(answer.status, status, String(authorization));
		if (status === 401) {
			t.regex(answer.json().error, /Authentication failed/);
			t.is(answer.headers['www-authenticate'], 'Bearer realm="updraft"');
		}
	}
	const report = await postJson(cloud, REPORT, { id: 'd', update: 'u', success: true }, 'bearer nope-nope-nope');
	t.is(report.status, 401);
	const admin = await call(cloud, '/api/releases', { headers: { Authorization: `bearer ${cloud.fleetToken}` } });
	t.is(admin.status, 401, 'the fleet token does not open the admin API');
	t.is((await call(cloud, '/api/releases')).status, 401);
});

test('image download: full, ranges, If-Range, HEAD, wrong secret', async (t) => {
	const cloud = await startTestCloud(t);
	const bytes = image(10_000, 9);
	const created = await publish(cloud, 'sensor', '2.0.0', bytes);
	const offer = (await checkin(cloud, { id: 'd', product: 'sensor', version: '1.0.0' })).json();
	t.is(offer.checksum, sha256(bytes));
	t.true(offer.url.startsWith(`https://localhost:${cloud.port}/images/`), offer.url);
	const path = new URL(offer.url).pathname;
	const etag = `"${created.checksum}"`;

	const full = await call(cloud, path);
	t.is(full.status, 200);
	t.deepEqual(new Uint8Array(full.body), bytes);
	t.like(full.headers, {
		'content-length': '10000',
		'content-type': 'application/octet-stream',
		etag,
		'accept-ranges': 'bytes',
	});
	t.is(full.headers['content-range'], undefined);

	// [Range header, status, Content-Range, expected first and last byte offsets]
	const ranges: [string, number, string, number, number][] = [
		['bytes=0-0', 206, 'bytes 0-0/10000', 0, 0],
		['bytes=100-199', 206, 'bytes 100-199/10000', 100, 199],
		['bytes=9990-', 206, 'bytes 9990-9999/10000', 9990, 9999],
		['bytes=-16', 206, 'bytes 9984-9999/10000', 9984, 9999],
		['bytes=5000-999999', 206, 'bytes 5000-9999/10000', 5000, 9999],
	];
	for (const [range, status, contentRange, first, last] of ranges) {
		const answer = await call(cloud, path, { headers: { Range: range } });
		t.is(answer.status, status, range);
		t.is(answer.headers['content-range'], contentRange, range);
		t.is(answer.headers['content-length'], String(last - first + 1), range);
		t.deepEqual(new Uint8Array(answer.body), bytes.subarray(first, last + 1), range);
	}

	for (const range of ['bytes=10000-', 'bytes=-0', 'bytes=20000-30000']) {
		const unsatisfiable = await call(cloud, path, { headers: { Range: range } });
		t.is(unsatisfiable.status, 416, range);
		t.is(unsatisfiable.headers['content-range'], 'bytes */10000', range);
	}
	const several = await call(cloud, path, { headers: { Range: 'bytes=0-1,5-9' } });
	t.is(several.status, 200, 'several ranges: the whole image');
	t.is(several.body.length, 10_000);

	const matching = await call(cloud, path, { headers: { Range: 'bytes=10-19', 'If-Range': etag } });
	t.is(matching.status, 206);
	t.deepEqual(new Uint8Array(matching.body), bytes.subarray(10, 20));
	for (const ifRange of [`"${'0'.repeat(64)}"`, `W/${etag}`, 'Fri, 01 Jan 2027 00:00:00 GMT']) {
		const stale = await call(cloud, path, { headers: { Range: 'bytes=10-19', 'If-Range': ifRange } });
		t.is(stale.status, 200, `If-Range ${ifRange}: the client's piece is of another image`);
		t.deepEqual(new Uint8Array(stale.body), bytes);
	}

	const head = await call(cloud, path, { method: 'HEAD' });
	t.is(head.status, 200);
	t.is(head.headers['content-length'], '10000');
	t.is(head.headers.etag, etag);
	t.is(head.body.length, 0);
	const headRange = await call(cloud, path, { method: 'HEAD', headers: { Range: 'bytes=1-2' } });
	t.is(headRange.status, 206);
	t.is(headRange.headers['content-range'], 'bytes 1-2/10000');

	const [, , secret, file] = path.split('/') as [string, string, string, string];
	const other = await publish(cloud, 'sensor', '2.0.1', image(100, 10));
	// [path, why it must be 404]
	const missing: [string, string][] = [
		[`/images/${'0'.repeat(32)}/${file}`, 'wrong secret'],
		[`/images/${secret}/${other.checksum}.bin`, 'secret of another release'],
		[`/images/${secret.toUpperCase()}/${file}`, 'secret in the wrong case'],
		[`/images/${secret}/${file.replace('.bin', '')}`, 'no .bin'],
		[`/images/${secret}`, 'no file'],
		['/images/', 'nothing'],
	];
	for (const [wrong, why] of missing) {
		const answer = await call(cloud, wrong);
		t.is(answer.status, 404, why);
		t.is(typeof answer.json().error, 'string', why);
	}
	t.is((await call(cloud, path, { method: 'POST' })).status, 405);
	t.false(cloud.logLines.some((line) => line.includes(secret)), 'image secrets stay out of the log');
});

test('update reports are validated and appended to reports.jsonl', async (t) => {
	const cloud = await startTestCloud(t);
	const send = (body: unknown) => postJson(cloud, REPORT, body, cloud.fleetToken);
	const ok = await send({ id: 'd', update: 'abc', success: false, reason: 'INTEGRITY_CHECK_FAILURE', version: '1.0.0' });
	t.is(ok.status, 200);
	t.deepEqual(ok.json(), {});
	t.is((await send({ id: 'd', update: 'abc', success: true })).status, 200);
	// [body, what is wrong]
	const bad: [unknown, RegExp][] = [
		[{ update: 'abc', success: true }, /id must be a string/],
		[{ id: 'd', success: true }, /update/],
		[{ id: 'd', update: 'abc' }, /success/],
		[{ id: 'd', update: 'abc', success: 'yes' }, /success/],
		[{ id: 'd', update: 7, success: true }, /update/],
		[{ id: 'd', update: 'abc', success: true, reason: 5 }, /reason/],
		[{ id: 'd', update: 'abc', success: true, version: {} }, /version/],
		[[1, 2], /JSON object/],
		['"text"', /JSON object/],
	];
	for (const [body, message] of bad) {
		const answer = await send(body);
		t.is(answer.status, 400, JSON.stringify(body));
		t.regex(answer.json().error, message);
	}
	const lines = readFileSync(join(cloud.dataDir, 'reports.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
	t.is(lines.length, 2);
	t.like(lines[0], { id: 'd', update: 'abc', success: false, reason: 'INTEGRITY_CHECK_FAILURE', version: '1.0.0' });
	t.deepEqual((await cloud.reports.list()).map(({ seq: _seq, ...report }) => report), lines);
});

test('bad input gets a 4xx JSON error, never a 5xx', async (t) => {
	const cloud = await startTestCloud(t, { maxImageBytes: 4096 });
	const fleet = `bearer ${cloud.fleetToken}`;
	const admin = `Bearer ${cloud.adminToken}`;
	const expectError = async (answer: Promise<import('../helpers/cloud').Answer>, status: number, message: RegExp, what: string) => {
		const result = await answer;
		t.is(result.status, status, what);
		t.is(result.headers['content-type'], 'application/json', what);
		t.regex(result.json().error, message, what);
	};
	// Check-in bodies: [body text, status, message]
	const checkins: [string, number, RegExp][] = [
		['{"id": "d", "product": "p", "version": ', 400, /not valid JSON/],
		['', 400, /empty/],
		['[]', 400, /JSON object/],
		['null', 400, /JSON object/],
		['42', 400, /JSON object/],
		['{"product": "p", "version": "1.0.0"}', 400, /id must be a string/],
		['{"id": "", "product": "p", "version": "1.0.0"}', 400, /id must not be empty/],
		['{"id": "d", "version": "1.0.0"}', 400, /product/],
		['{"id": "d", "product": 5, "version": "1.0.0"}', 400, /product/],
		['{"id": "d", "product": "p"}', 400, /version/],
		['{"id": "d", "product": "p", "version": "1.0"}', 400, /SemVer/],
		['{"id": "d", "product": "p", "version": 1}', 400, /SemVer/],
		[JSON.stringify({ id: 'd', product: 'p', version: '1.0.0', pad: 'x'.repeat(70_000) }), 413, /larger than 65536/],
	];
	for (const [body, status, message] of checkins) {
		await expectError(postJson(cloud, CHECKIN, body, fleet), status, message, body.slice(0, 60));
	}
	await expectError(call(cloud, CHECKIN, { method: 'POST', headers: { Authorization: fleet }, body: Buffer.from([0x7b, 0xff, 0x7d]) }),
		400, /UTF-8/, 'not UTF-8');
	await expectError(call(cloud, CHECKIN, {
		method: 'POST', headers: { Authorization: fleet, 'Transfer-Encoding': 'chunked' }, body: '['.repeat(70_000),
	}), 413, /larger than 65536/, 'an oversize body without Content-Length');

	// Release API: [path, body, status, message]
	const body = image(100);
	await publish(cloud, 'p', '1.0.0');
	const uploads: [string, Uint8Array, number, RegExp][] = [
		['/api/releases?product=p&version=1.0.0', body, 409, /already has release 1\.0\.0/],
		['/api/releases?product=p&version=1.0', body, 400, /SemVer/],
		['/api/releases?product=p', body, 400, /version is required/],
		['/api/releases?version=1.0.1', body, 400, /product is required/],
		['/api/releases?product=p&product=q&version=1.0.1', body, 400, /2 times/],
		['/api/releases?product=a%2Fb&version=1.0.1', body, 400, /product must be/],
		['/api/releases?product=p&version=1.0.1', new Uint8Array(0), 400, /empty/],
		['/api/releases?product=p&version=1.0.1', image(5000), 413, /larger than 4096/],
	];
	for (const [path, bytes, status, message] of uploads) {
		await expectError(call(cloud, path, {
			method: 'POST', headers: { Authorization: admin, 'Content-Type': 'application/octet-stream' }, body: bytes,
		}), status, message, path);
	}
	await expectError(call(cloud, '/api/releases?product=p&version=1.0.1', {
		method: 'POST', headers: { Authorization: admin, 'Content-Type': 'application/x-www-form-urlencoded' }, body,
	}), 415, /application\/octet-stream/, 'form upload');
	t.deepEqual((await listReleases({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken })).map((r) => r.version), ['1.0.0']);

	// Routing: [method, path, status, message]
	const routing: [string, string, number, RegExp][] = [
		['GET', '/', 404, /nothing at/],
		['GET', '/tok/provision/update/extra', 404, /nothing at/],
		['GET', CHECKIN, 405, /GET is not allowed/],
		['PUT', '/api/releases', 405, /allowed: GET, POST/],
		['GET', '/images/../tokens.json', 400, /\.\. segments/],
		['GET', '/images/%2e%2e/tokens.json', 400, /encoded/],
		['GET', '/api%2freleases', 400, /encoded/],
		['GET', '/images/x%5C..%5Ctokens.json', 400, /encoded/],
		['GET', '/images\\..\\tokens.json', 400, /backslash/],
		['GET', '/api/releases/does-not-exist', 404, /no release with id/],
		['GET', '/api/releases/%00', 400, /NUL/],
	];
	for (const [method, path, status, message] of routing) {
		const headers = { Authorization: admin };
		await expectError(call(cloud, path, { method, headers }), status, message, `${method} ${path}`);
	}
	const notAllowed = await call(cloud, '/api/releases', { method: 'DELETE', headers: { Authorization: admin } });
	t.is(notAllowed.headers.allow, 'GET, POST');
	t.false(cloud.logLines.some((line) => line.startsWith('error:')), 'nothing above was an internal error');
	t.is((await checkin(cloud, { id: 'd', product: 'p', version: '0.9.0' })).status, 200, 'still serving');
});

test('an unexpected fault is a logged 500 and the cloud keeps serving', async (t) => {
	const cloud = await startTestCloud(t);
	const created = await publish(cloud, 'p', '1.0.0');
	const offer = (await checkin(cloud, { id: 'd', product: 'p', version: '0.1.0' })).json();
	rmSync(cloud.store.imagePath(cloud.store.get(created.id)!));
	const answer = await call(cloud, new URL(offer.url).pathname);
	t.is(answer.status, 500);
	t.regex(answer.json().error, /internal error/);
	t.true(cloud.logLines.some((line) => line.startsWith('error: GET /images/') && line.includes('ENOENT')));
	t.is((await checkin(cloud, { id: 'd', product: 'p', version: '1.0.0' })).status, 200);
});

test('admin client: create, list, get; secrets never shown; errors carry the status', async (t) => {
	const cloud = await startTestCloud(t);
	const bytes = image(3000, 5);
	const connection = { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
	const created = await createRelease({ ...connection, product: 'p', version: '1.0.0', description: 'first & best', image: bytes });
	t.like(created, { product: 'p', version: '1.0.0', description: 'first & best', size: 3000, checksum: sha256(bytes), enable: true });
	t.false('secret' in created);
	await createRelease({ ...connection, product: 'q', version: '2.0.0', image: image(10) });
	t.deepEqual((await listReleases(connection)).map((r) => `${r.product}@${r.version}`), ['p@1.0.0', 'q@2.0.0']);
	t.deepEqual((await listReleases({ ...connection, product: 'q' })).map((r) => r.version), ['2.0.0']);
	t.deepEqual(await getRelease({ ...connection, id: created.id }), created);
	t.deepEqual(created.counters, { requests: 0, offered: 0, devices: 0, started: 0, success: 0, failure: 0 });
	const offer = (await checkin(cloud, { id: 'd', product: 'p', version: '0.1.0' })).json();
	const token = new URL(offer.url).pathname.split('/')[2]!;
	const raw = await call(cloud, '/api/releases', { headers: { Authorization: cloud.adminToken } });
	t.false(raw.body.toString().includes(token), 'image URL tokens are never shown to administrators');

	const refused = await t.throwsAsync(createRelease({ ...connection, token: 'wrong-token-0000', product: 'p', version: '1.0.1', image: bytes }),
		{ instanceOf: CloudError, message: /401.*Authentication failed/ });
	t.is((refused as CloudError).status, 401);
	const duplicate = await t.throwsAsync(createRelease({ ...connection, product: 'p', version: '1.0.0', image: bytes }), { instanceOf: CloudError });
	t.is((duplicate as CloudError).status, 409);
	const stranger = await createCa({ commonName: 'Somebody Else CA' });
	await t.throwsAsync(listReleases({ ...connection, caPem: stranger.certPem }), { message: /cannot talk to the cloud/ },
		'another CA is not trusted');
	await t.throwsAsync(listReleases({ ...connection, cloud: 'http://localhost:1' }), { message: /https/ });
});

test('tokens, releases and devices survive a restart on the same data directory', async (t) => {
	const dataDir = temporaryDir(t);
	const bytes = image(777, 3);
	const before = await withCloud({ dataDir }, async (cloud) => {
		const created = await publish(cloud, 'p', '1.1.0', bytes);
		const offer = (await checkin(cloud, { id: 'd', product: 'p', version: '1.0.0' })).json();
		return { fleetToken: cloud.fleetToken, adminToken: cloud.adminToken, caPem: cloud.caPem, created, offer };
	});
	await withCloud({ dataDir }, async (cloud) => {
		t.is(cloud.fleetToken, before.fleetToken);
		t.is(cloud.adminToken, before.adminToken);
		t.is(cloud.caPem, before.caPem);
		t.deepEqual(cloud.store.list().map((r) => r.id), [before.created.id]);
		t.like(await cloud.devices.get('d'), { version: '1.0.0', offered: before.created.id });
		const offer = (await checkin(cloud, { id: 'd', product: 'p', version: '1.0.0' })).json();
		// The port changed; the device's token and the checksum did not.
		t.is(new URL(offer.url).pathname, new URL(before.offer.url).pathname);
		const download = await call(cloud, new URL(offer.url).pathname);
		t.deepEqual(new Uint8Array(download.body), bytes);
	});
});

test('the server sends its certificate with the CA, and close() drops keep-alive connections', async (t) => {
	const cloud = await startTestCloud(t, { freshTls: true });
	t.is(cloud.caPath, join(cloud.dataDir, 'tls', 'ca.pem'));
	t.is(readFileSync(cloud.caPath, 'utf8'), cloud.caPem);
	const peer = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
		const socket = connect({ host: '127.0.0.1', port: cloud.port, servername: 'localhost', ca: cloud.caPem }, () => {
			const certificate = socket.getPeerCertificate(true);
			socket.destroy();
			resolve(certificate);
		});
		socket.on('error', reject);
	});
	t.truthy(peer.issuerCertificate, 'an issuer came with the leaf');
	t.not(peer.fingerprint256, peer.issuerCertificate.fingerprint256, 'two different certificates were sent');
	t.is(peer.issuerCertificate.subject.CN, peer.issuer.CN);

	const agent = new Agent({ keepAlive: true, ca: cloud.caPem });
	t.teardown(() => agent.destroy());
	const first = await call(cloud, '/api/releases', { agent, headers: { Authorization: cloud.adminToken } });
	t.is(first.status, 200);
	t.is(first.headers.connection, 'keep-alive');
	const started = Date.now();
	await cloud.close();
	t.true(Date.now() - started < 1000, `close() took ${Date.now() - started} ms`);
	await cloud.close();
	await t.throwsAsync(call(cloud, '/api/releases', { headers: { Authorization: cloud.adminToken } }));
});

test('publicUrl sets the base of image URLs', async (t) => {
	const cloud = await startTestCloud(t, { publicUrl: 'https://updates.example.test:9443/' });
	await publish(cloud, 'p', '1.0.0');
	const offer = (await checkin(cloud, { id: 'd', product: 'p', version: '0.1.0' })).json();
	t.regex(offer.url, /^https:\/\/updates\.example\.test:9443\/images\/[0-9a-f]{32}\/[0-9a-f]{64}\.bin$/);
	await t.throwsAsync(startTestCloud(t, { publicUrl: 'ftp://x' }), { message: /publicUrl/ });
});
