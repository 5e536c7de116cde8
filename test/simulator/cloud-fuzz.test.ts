/*
 * Thousands of generated requests against a running cloud: check-in and report bodies, headers,
 * paths, byte ranges, policies and release settings, and raw garbage on the TLS socket. Every
 * answer must be a JSON 2xx or 4xx (never a 5xx), nothing may be logged as an internal error,
 * and the cloud must still serve a normal check-in at the end.
 *
 * UPDRAFT_FUZZ_CASES scales the number of requests (default 700 per test); for a long run:
 *   UPDRAFT_FUZZ_CASES=100000 npx ava test/simulator/cloud-fuzz.test.ts
 */
import test, { type ExecutionContext } from 'ava';
import { Agent } from 'node:https';
import { connect } from 'node:tls';
import { createRelease } from '../../simulator/cloud/admin-client';
import { call, startTestCloud, type Answer, type RequestOptions, type TestCloud } from '../helpers/cloud';
import { random, type Random } from '../helpers/fuzz-random';

const CASES = Number(process.env.UPDRAFT_FUZZ_CASES ?? 700);
const CONCURRENCY = 16;

const STRINGS = ['', 'p', 'sensor', '1.0.0', '2.0.0-rc.1', 'v1', '1.0', '..', '../../etc', '%00', '\u0000', '\n', 'é', '𝄞', '\ud800',
	'<script>', '"', "'", '\\', '__proto__', 'constructor', 'x'.repeat(200), 'y'.repeat(5000), 'null', '{}'];

function value(r: Random, depth = 0): unknown {
	const roll = r.int(depth > 2 ? 6 : 9);
	switch (roll) {
		case 0: return r.pick(STRINGS);
		case 1: return r.int(1000) - 500;
		case 2: return r.pick([0, -0, 1e308, -1e308, 0.5, Number.MAX_SAFE_INTEGER + 2]);
		case 3: return r.next() < 0.5;
		case 4: return null;
		case 5: return r.pick(STRINGS) + r.int(10);
		case 6: return Array.from({ length: r.int(4) }, () => value(r, depth + 1));
		default: {
			const out: Record<string, unknown> = {};
			for (let i = r.int(4); i > 0; i--) out[r.pick(STRINGS)] = value(r, depth + 1);
			return out;
		}
	}
}

/** A body that is often almost a valid check-in or report, and sometimes not JSON at all. */
function body(r: Random): string | Buffer {
	const roll = r.next();
	if (roll < 0.05) return Buffer.from(Array.from({ length: r.int(64) }, () => r.int(256)));
	if (roll < 0.1) return JSON.stringify(value(r));
	const out: Record<string, unknown> = {};
	if (r.next() < 0.9) out.id = r.next() < 0.8 ? `dev-${r.int(50)}` : value(r);
	if (r.next() < 0.9) out.product = r.next() < 0.8 ? r.pick(['p', 'q']) : value(r);
	if (r.next() < 0.9) out.version = r.next() < 0.8 ? r.pick(['1.0.0', '0.9.0', '2.0.0', '1.0.0-beta.1']) : value(r);
	if (r.next() < 0.5) out.update = r.next() < 0.5 ? 'abc' : value(r);
	if (r.next() < 0.5) out.success = r.next() < 0.7 ? r.next() < 0.5 : value(r);
	if (r.next() < 0.3) out.reason = value(r);
	for (let i = r.next() < 0.1 ? 60 : r.int(6); i > 0; i--) out[`${r.pick(STRINGS)}${i}`] = value(r);
	const text = JSON.stringify(out);
	const cut = r.next();
	if (cut < 0.05) return text.slice(0, r.int(text.length));
	if (cut < 0.08) return text + r.pick(['}', ',', ' ', '\u0000', ']']);
	if (cut < 0.1) return text.replace(/"/, "'");
	return text;
}

function headerText(r: Random): string {
	const roll = r.next();
	if (roll < 0.2) return '';
	if (roll < 0.3) return 'x'.repeat(1 + r.int(9000));
	return Array.from({ length: r.int(40) }, () => String.fromCharCode(0x20 + r.int(0x5f))).join('');
}

async function pool<T>(count: number, make: (i: number) => Promise<T>): Promise<void> {
	let next = 0;
	await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
		while (next < count) await make(next++);
	}));
}

async function fuzzCloud(t: ExecutionContext) {
	const cloud = await startTestCloud(t, { maxImageBytes: 64 * 1024, autoHalt: { failures: null, percentage: null } });
	const agent = new Agent({ keepAlive: true, ca: cloud.caPem, maxSockets: CONCURRENCY });
	t.teardown(() => agent.destroy());
	const admin = { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
	await createRelease({ ...admin, product: 'p', version: '2.0.0', image: Buffer.alloc(5000, 7), policy: 'memory >= 1 || model =~ /x+y/' });
	await createRelease({ ...admin, product: 'p', version: '1.5.0', image: Buffer.alloc(3000, 9), percentage: 50 });
	const statuses = new Map<number, number>();
	const check = (answer: Answer, what: string): void => {
		statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
		if (answer.status >= 500 || answer.status < 200) t.fail(`${what} -> ${answer.status} ${answer.body.toString().slice(0, 200)}`);
		if (answer.status >= 400 && answer.headers['content-type'] !== 'application/json') t.fail(`${what} -> ${answer.status} without a JSON error`);
	};
	const send = async (path: string, options: RequestOptions, what: string): Promise<Answer | undefined> => {
		try {
			const answer = await call(cloud, path, { ...options, agent });
			check(answer, what);
			return answer;
		} catch (error) {
			// A refused request may close the connection before the client finished sending.
			if (!/socket hang up|ECONNRESET|EPIPE/.test((error as Error).message)) t.fail(`${what}: ${(error as Error).message}`);
			return undefined;
		}
	};
	return { cloud, admin, statuses, send };
}

function assertHealthy(t: ExecutionContext, cloud: TestCloud, statuses: Map<number, number>) {
	t.deepEqual(cloud.logLines.filter((line) => line.startsWith('error:')), [], 'no internal error was logged');
	t.log(`answers: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
}

test('generated check-in and report bodies and Authorization headers', async (t) => {
	const { cloud, statuses, send } = await fuzzCloud(t);
	const r = random(101);
	await pool(CASES, async (i) => {
		const path = r.next() < 0.7 ? '/tok/provision/update' : '/tok/provision/updateReport';
		const authorization = r.next() < 0.85 ? `${r.pick(['bearer ', 'Bearer ', '', 'BEARER  '])}${cloud.fleetToken}` : headerText(r);
		const headers: Record<string, string> = { Authorization: authorization };
		if (r.next() < 0.5) headers['Content-Type'] = r.pick(['application/json', 'text/plain', headerText(r)]);
		await send(path, { method: 'POST', headers, body: body(r) }, `#${i} POST ${path}`);
	});
	const alive = await send('/tok/provision/update', {
		method: 'POST', headers: { Authorization: cloud.fleetToken }, body: JSON.stringify({ id: 'last', product: 'p', version: '1.0.0', memory: 5 }),
	}, 'final check-in');
	t.like(alive?.json(), { version: '2.0.0' });
	assertHealthy(t, cloud, statuses);
	t.true((statuses.get(200) ?? 0) > CASES / 10, 'plenty of valid requests got through');
	t.true((statuses.get(400) ?? 0) > CASES / 10, 'plenty were refused');
});

const PATHS = ['/', '/tok/provision/update', '/images/', '/api/releases', '/api/releases/x', '/api/devices/a%20b', '/api/devices/%ZZ/token',
	'/api/dry-run', '/api/reports?limit=abc', '/images/../tokens.json', '/images/%2e%2e/x', '/api%2freleases', '//api//releases',
	'/api/releases?product=', '/api/releases?product=p&product=q', `/${'a'.repeat(3000)}`, '/api/releases/%F0%9F%98%80', '/tok/provision/update/',
	'/api/devices?product=a/b', '/cloud.db', '/tokens.json', '/api/releases/%', '/images/x%5Cy'];

test('generated paths, methods, byte ranges and admin requests', async (t) => {
	const { cloud, admin, statuses, send } = await fuzzCloud(t);
	const r = random(202);
	const offer = (await send('/tok/provision/update', {
		method: 'POST', headers: { Authorization: cloud.fleetToken }, body: JSON.stringify({ id: 'd', product: 'p', version: '1.0.0', memory: 9 }),
	}, 'offer'))!.json();
	const image = new URL(offer.url).pathname;
	const release = cloud.store.list('p')[0]!;
	await pool(CASES, async (i) => {
		const roll = r.next();
		if (roll < 0.35) {
			const headers: Record<string, string> = {};
			if (r.next() < 0.9) headers.Range = r.pick(['bytes=0-0', 'bytes=-1', `bytes=${r.int(6000)}-${r.int(6000)}`, `bytes=${r.int(9000)}-`, 'bytes=5-1,2-3', headerText(r), 'bytes=-', `bytes=${'9'.repeat(30)}-`]);
			if (r.next() < 0.3) headers['If-Range'] = r.pick([`"${release.checksum}"`, headerText(r), 'W/"x"']);
			await send(r.next() < 0.9 ? image : image.replace(/[0-9a-f]\.bin$/, 'x.bin'), { method: r.pick(['GET', 'HEAD', 'GET']), headers }, `#${i} image ${JSON.stringify(headers)}`);
			return;
		}
		const path = r.next() < 0.8 ? r.pick(PATHS) : `/${headerText(r).replace(/[\s?#]/g, '')}`;
		const method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
		const headers: Record<string, string> = { Authorization: r.next() < 0.8 ? cloud.adminToken : headerText(r) };
		const sendBody = method !== 'GET' && method !== 'HEAD' && r.next() < 0.7;
		if (sendBody) headers['Content-Type'] = r.pick(['application/json', 'application/octet-stream']);
		await send(path, { method, headers, body: sendBody ? body(r) : undefined }, `#${i} ${method} ${path.slice(0, 60)}`);
	});
	// Edits of a live release with generated JSON.
	await pool(Math.ceil(CASES / 4), async (i) => {
		const changes: Record<string, unknown> = {};
		for (const name of ['policy', 'limit', 'percentage', 'rate', 'period', 'enable', 'description', 'version']) {
			if (r.next() < 0.3) changes[name] = r.next() < 0.5 ? value(r) : r.pick([null, 1, 50, true, 'memory > 1', '']);
		}
		await send(`/api/releases/${release.id}`, {
			method: 'PATCH', headers: { Authorization: cloud.adminToken, 'Content-Type': 'application/json' }, body: JSON.stringify(changes),
		}, `#${i} PATCH ${JSON.stringify(changes).slice(0, 100)}`);
	});
	t.truthy(admin);
	assertHealthy(t, cloud, statuses);
});

test('generated policies and release settings on upload', async (t) => {
	const { cloud, statuses, send } = await fuzzCloud(t);
	const r = random(303);
	const pieces = ['memory', '>=', '256', '&&', '||', '(', ')', 'semver(', 'version', ',', '"<"', '"1.0.0"', '=~', '/^a+$/i', '/(/', "'x'", '!', '-',
		'try-beta-features', '^=', '<>', '><', '$!=', '==', '1e400', '"', '\\', '%', 'null', 'newVersion', '{', '[', 'é'];
	let created = 0;
	await pool(Math.ceil(CASES / 2), async (i) => {
		const query = new URLSearchParams({ product: r.pick(['p', 'q', 'bad/name', '']), version: `3.${i}.${r.int(3)}${r.next() < 0.1 ? '-x' : ''}` });
		if (r.next() < 0.8) query.set('policy', Array.from({ length: r.int(12) }, () => r.pick(pieces)).join(r.next() < 0.5 ? ' ' : ''));
		for (const name of ['limit', 'percentage', 'rate', 'period', 'enable']) {
			if (r.next() < 0.2) query.set(name, r.pick(['', 'null', '-1', '0', '1', '50', '100.5', 'true', 'x', '1e3', String(r.int(1e6))]));
		}
		if (r.next() < 0.05) query.set('policy', 'a'.repeat(3000));
		const answer = await send(`/api/releases?${query}`, {
			method: 'POST', headers: { Authorization: cloud.adminToken, 'Content-Type': 'application/octet-stream' }, body: Buffer.from(`img ${i}`),
		}, `#${i} create ${query}`);
		if (answer?.status === 201) created++;
	});
	t.log(`${created} releases created`);
	t.true(created > 0);
	// Check-ins against whatever was created still decide without errors.
	await pool(200, async (i) => {
		await send('/tok/provision/update', {
			method: 'POST', headers: { Authorization: cloud.fleetToken },
			body: JSON.stringify({ id: `d${i}`, product: r.pick(['p', 'q']), version: '1.0.0', memory: r.int(600), 'try-beta-features': 1, x: 'aaa' }),
		}, `check-in ${i}`);
	});
	assertHealthy(t, cloud, statuses);
});

test('raw garbage on the TLS socket gets a 400 or a closed connection, and the cloud keeps serving', async (t) => {
	const { cloud, statuses, send } = await fuzzCloud(t);
	const r = random(404);
	const garbage = (): Buffer => {
		const roll = r.next();
		if (roll < 0.3) return Buffer.from(Array.from({ length: 1 + r.int(512) }, () => r.int(256)));
		if (roll < 0.6) return Buffer.from(`POST /tok/provision/update HTTP/1.1\r\nHost: x\r\nContent-Length: ${r.pick(['-1', 'abc', '99999999999999999999', '5, 6'])}\r\n\r\n{}`);
		if (roll < 0.8) return Buffer.from(`GET /${'a'.repeat(r.int(20000))} HTTP/1.1\r\n${'X: y\r\n'.repeat(r.int(3000))}\r\n`);
		return Buffer.from(`${r.pick(['GET', 'BREW', '\u0000'])} ${headerText(r)} HTTP/${r.pick(['1.1', '9.9', 'x'])}\r\nTransfer-Encoding: ${r.pick(['chunked', 'gzip, chunked', 'x'])}\r\n\r\n${r.pick(['zz\r\n', '5\r\nabc', '0\r\n\r\n'])}`);
	};
	const rounds = Math.max(50, Math.ceil(CASES / 20));
	let next = 0;
	await Promise.all(Array.from({ length: 8 }, async () => {
		while (next++ < rounds) {
			const reply = await new Promise<string>((resolve) => {
				const socket = connect({ host: '127.0.0.1', port: cloud.port, ca: cloud.caPem, servername: 'localhost' }, () => socket.end(garbage()));
				const chunks: Buffer[] = [];
				socket.on('data', (chunk: Buffer) => chunks.push(chunk));
				socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
				socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
				socket.setTimeout(5000, () => socket.destroy());
			});
			const status = /^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1];
			if (status && Number(status) >= 500) t.fail(`garbage answered ${status}: ${reply.slice(0, 200)}`);
		}
	}));
	const alive = await send('/tok/provision/update', {
		method: 'POST', headers: { Authorization: cloud.fleetToken }, body: JSON.stringify({ id: 'last', product: 'p', version: '1.0.0', memory: 5 }),
	}, 'final check-in');
	t.is(alive?.status, 200);
	assertHealthy(t, cloud, statuses);
});
