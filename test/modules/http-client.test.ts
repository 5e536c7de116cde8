import test from 'ava';
import { httpRequest, HttpError, type HttpErrorCode, type HttpRequestOptions, type HttpResponse } from '../../modules/http/client';
import { serializeRequest } from '../../modules/http/request';
import type { ClockPort } from '../../modules/ports';
import { manualClock } from '../helpers/memory-ports';
import { FakeNetwork, settle, type ServerScript } from '../helpers/fake-socket';

/** The manual clock, counting the timers that are still set. */
function countingClock(): ClockPort & { advance(ms: number): void; active: Set<number> } {
	const clock = manualClock();
	const active = new Set<number>();
	return {
		now: clock.now,
		advance: clock.advance,
		active,
		setTimer(callback, ms) {
			const id: number = clock.setTimer(() => {
				active.delete(id);
				callback();
			}, ms);
			active.add(id);
			return id;
		},
		clearTimer(id) {
			active.delete(id);
			clock.clearTimer(id);
		},
	};
}

function setup(script: ServerScript) {
	const network = new FakeNetwork(script);
	const clock = countingClock();
	const request = (options: Partial<HttpRequestOptions> = {}) =>
		httpRequest(network, clock, { url: 'https://updates.example.com/fw/image.bin', method: 'GET', ...options });
	return { network, clock, request };
}

async function readAll(response: HttpResponse, readSize = 4096): Promise<{ body: Buffer; sizes: number[] }> {
	const parts: Uint8Array[] = [];
	const sizes: number[] = [];
	for (let chunk = await response.read(); chunk; chunk = await response.read()) {
		if (chunk.length > readSize) throw new Error(`chunk of ${chunk.length} bytes is larger than readSize ${readSize}`);
		parts.push(chunk);
		sizes.push(chunk.length);
	}
	return { body: Buffer.concat(parts), sizes };
}

/** Bytes 0..n-1 with a pattern, so misplaced or repeated pieces show. */
function pattern(n: number): Buffer {
	const out = Buffer.alloc(n);
	for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
	return out;
}

function chunked(body: Buffer, sizes: number[]): Buffer {
	const parts: Buffer[] = [];
	let at = 0;
	let k = 0;
	while (at < body.length) {
		const size = Math.min(sizes[k++ % sizes.length], body.length - at);
		parts.push(Buffer.from(`${size.toString(16)};k=${k}\r\n`), body.subarray(at, at + size), Buffer.from('\r\n'));
		at += size;
	}
	parts.push(Buffer.from('0\r\nX-Trailer: t\r\n\r\n'));
	return Buffer.concat(parts);
}

test('sends the request bytes and resolves with status and headers', async (t) => {
	const { network, clock, request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}' });
	const body = new Uint8Array(Buffer.from('{"id":"d1"}'));
	const response = await request({
		url: 'https://api.example.com:8443/tok/provision/update?x=1#frag',
		method: 'POST',
		headers: { Authorization: 'bearer T0K', 'Content-Type': 'application/json' },
		body,
	});
	const socket = network.socket;
	t.is(socket.options.host, 'api.example.com');
	t.is(socket.options.port, 8443);
	t.is(socket.written.toString('latin1'), [
		'POST /tok/provision/update?x=1 HTTP/1.1',
		'Host: api.example.com:8443',
		'Authorization: bearer T0K',
		'Content-Type: application/json',
		'Content-Length: 11',
		'Connection: close',
		'',
		'{"id":"d1"}',
	].join('\r\n'));
	t.is(response.status, 200);
	t.deepEqual(response.headers, { 'content-type': 'application/json', 'content-length': '11' });
	t.deepEqual(await response.json(), { ok: true });
	t.true(socket.closed);
	t.is(clock.active.size, 0);
	response.close(); // idempotent after the end
	t.is(await response.read(), undefined);
});

// Bodies fetched through the fake server in random pieces: [what, body framing, body length].
const BODIES: [string, 'length' | 'chunked' | 'close', number][] = [
	['Content-Length', 'length', 50_000],
	['chunked', 'chunked', 50_000],
	['read until close', 'close', 20_000],
	['empty Content-Length body', 'length', 0],
];

for (const [what, framing, length] of BODIES) {
	for (const seed of [1, 2, 3]) {
		test(`streams a ${what} body in random splits (seed ${seed})`, async (t) => {
			const body = pattern(length);
			const head = framing === 'length'
				? `HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n\r\n`
				: framing === 'chunked' ? 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' : 'HTTP/1.1 200 OK\r\n\r\n';
			const response = Buffer.concat([Buffer.from(head), framing === 'chunked' ? chunked(body, [1, 700, 4096, 13, 9000]) : body]);
			const readSize = 1000;
			const { network, clock, request } = setup({ response, maxPiece: 1500 + seed * 300, seed, after: 'end' });
			const res = await request({ readSize });
			const { body: received, sizes } = await readAll(res, readSize);
			t.true(received.equals(body), 'body intact');
			t.true(sizes.every((size) => size > 0 && size <= readSize));
			t.true(network.socket.closed);
			t.is(network.socket.unboundedReads, 0, 'every socket read is bounded');
			t.is(clock.active.size, 0, 'no timer left');
		});
	}
}

test('reads only as the consumer asks (backpressure)', async (t) => {
	const body = pattern(200_000);
	const head = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`;
	const highWater = 4096;
	const readSize = 1024;
	const { network, request } = setup({ response: Buffer.concat([Buffer.from(head), body]), maxPiece: 2000, highWater });
	const response = await request({ readSize });
	const socket = network.socket;
	const chunks: Uint8Array[] = [];
	const first = await response.read();
	if (!first) return t.fail('no first chunk');
	chunks.push(first);
	t.true(first.length <= readSize);
	await settle(200);
	const pulledWhilePaused = socket.pulled;
	// At most the head plus two reads: the one that completed the head, and the one just taken.
	t.true(pulledWhilePaused <= head.length + 2 * readSize, `pulled ${pulledWhilePaused} bytes`);
	t.true(socket.delivered <= pulledWhilePaused + highWater, 'the host stopped taking from the network');
	await settle(200);
	t.is(socket.pulled, pulledWhilePaused, 'nothing pulled while the consumer waits');

	// Each read() pulls at most one more readSize from the socket.
	for (let i = 0; i < 10; i++) {
		const before = socket.pulled;
		const chunk = await response.read();
		if (!chunk) return t.fail('body ended early');
		chunks.push(chunk);
		t.true(socket.pulled - before <= readSize);
		await settle(5);
	}
	const rest = await readAll(response, readSize);
	t.true(Buffer.concat([...chunks, rest.body]).equals(body), 'body intact');
	t.true(socket.maxBuffered <= highWater);
	t.true(socket.closed);
});

test('backpressure with a chunked body: pieces of one socket read come as one chunk', async (t) => {
	const body = pattern(30_000);
	const response = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(body, [10, 20, 3])]);
	const readSize = 512;
	const { network, request } = setup({ response, maxPiece: 3000 });
	const res = await request({ readSize });
	const first = await res.read();
	if (!first) return t.fail('no first chunk');
	await settle(100);
	t.true(network.socket.pulled <= 49 + 2 * readSize);
	const { body: rest, sizes } = await readAll(res, readSize);
	t.true(Buffer.concat([first, rest]).equals(body));
	// Chunks of 10, 20 and 3 bytes, yet reads return more than one chunk's worth at a time.
	t.true(sizes.some((size) => size > 20));
	t.true(network.socket.closed);
});

test('text() collects the body; over the limit it fails and closes', async (t) => {
	const ok = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nGr\xc3\xbc\xc3\x9fe!!' });
	t.is(await (await ok.request()).text(), 'Gr\u00fc\u00dfe!!');

	const big = setup({ response: `HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(5000)}`, maxPiece: 100 });
	const response = await big.request({ readSize: 256 });
	const error = await t.throwsAsync(response.text(1000), { instanceOf: HttpError });
	t.is(error?.code, 'BODY_TOO_LARGE');
	t.true(big.network.socket.closed);
	t.true(big.network.socket.pulled < 2000, 'stopped reading soon after the limit');
	t.is(big.clock.active.size, 0);
});

test('json() refuses a body that is not JSON and accepts a BOM', async (t) => {
	const bad = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot json!' });
	const error = await t.throwsAsync((await bad.request()).json(), { instanceOf: HttpError });
	t.is(error?.code, 'BAD_JSON');
	t.regex(error?.message ?? '', /not JSON/);
	const bom = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n\xef\xbb\xbf[1,2,3]' });
	t.deepEqual(await (await bom.request()).json(), [1, 2, 3]);
});

test('a HEAD response has no body', async (t) => {
	const { network, request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', after: 'hang' });
	const response = await request({ method: 'HEAD' });
	t.is(response.headers['content-length'], '1000');
	t.is(await response.read(), undefined);
	t.true(network.socket.closed);
});

test('times out waiting for the head, closes the socket and clears timers', async (t) => {
	const { network, clock, request } = setup({ connect: 'hang' });
	const pending = request({ timeout: 5000 });
	await settle();
	clock.advance(4999);
	t.false(network.socket.closed);
	clock.advance(1);
	const error = await t.throwsAsync(pending, { instanceOf: HttpError });
	t.is(error?.code, 'TIMEOUT');
	t.regex(error?.message ?? '', /updates\.example\.com:443 within 5000 ms/);
	t.true(network.socket.closed);
	t.is(clock.active.size, 0);
});

test('the head timeout also covers a server that sends part of the head, then nothing', async (t) => {
	const { network, clock, request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-', after: 'hang' });
	const pending = request({ timeout: 1000 });
	await settle();
	t.true(network.socket.pulled > 0);
	clock.advance(1000);
	t.is((await t.throwsAsync(pending, { instanceOf: HttpError }))?.code, 'TIMEOUT');
	t.true(network.socket.closed);
});

test('idle timeout: only while a read() waits for bytes', async (t) => {
	const { network, clock, request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789', after: 'hang' });
	const response = await request({ idleTimeout: 2000, timeout: 1000 });
	t.is(clock.active.size, 0, 'the head timer is gone once the head is in');
	// The consumer is busy for a long time: no timer runs, nothing fails.
	clock.advance(60_000);
	await settle();
	let received = '';
	while (received.length < 10) received += Buffer.from((await response.read()) ?? []).toString();
	t.is(received, '0123456789');
	let settled = false;
	const pending = response.read().finally(() => (settled = true));
	await settle();
	clock.advance(1999);
	await settle();
	t.false(settled);
	clock.advance(1);
	const error = await t.throwsAsync(pending, { instanceOf: HttpError });
	t.is(error?.code, 'IDLE_TIMEOUT');
	t.true(network.socket.closed);
	t.is(clock.active.size, 0);
	t.is((await t.throwsAsync(response.read(), { instanceOf: HttpError }))?.code, 'IDLE_TIMEOUT', 'later reads fail the same way');
});

test('bytes arriving restart the idle timer', async (t) => {
	// A body trickling in pieces of 1 byte: each wait is short, the whole is long.
	const { clock, request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde', maxPiece: 1 });
	const response = await request({ idleTimeout: 100 });
	const text = response.text();
	for (let i = 0; i < 10; i++) {
		await settle(2);
		clock.advance(60);
	}
	t.is(await text, 'abcde');
});

// Connection failures reported by the host: [what, script, expected code, message pattern].
const FAILURES: [string, ServerScript, HttpErrorCode, RegExp][] = [
	['connection refused', { connect: { error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:443' } }, 'CONNECT_FAILED', /cannot connect to updates\.example\.com:443: ECONNREFUSED/],
	['certificate refused', { connect: { error: 'TLS certificate rejected (CERT_HAS_EXPIRED): certificate has expired' } }, 'TLS', /TLS connection to .* failed: .*expired/],
	['reset before the head', { response: 'HTTP/1.1 200 OK\r\n', after: { error: 'ECONNRESET' } }, 'CONNECTION_CLOSED', /broke: ECONNRESET/],
	['closed before any response', { response: '', after: 'end' }, 'CONNECTION_CLOSED', /before a response/],
	['closed in the middle of the head', { response: 'HTTP/1.1 200 OK\r\nA: b', after: 'end' }, 'CONNECTION_CLOSED', /after \d+ bytes of the response head/],
	['malformed status line', { response: 'HTTP/1.1 OK\r\n\r\n' }, 'BAD_STATUS_LINE', /malformed status line/],
	['head too large', { response: `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(300)}\r\n\r\n` }, 'HEADER_TOO_LARGE', /larger than 256 bytes/],
];

for (const [what, script, code, message] of FAILURES) {
	test(`httpRequest rejects: ${what}`, async (t) => {
		const { network, clock, request } = setup(script);
		const error = await t.throwsAsync(request({ maxHeaderBytes: 256 }), { instanceOf: HttpError, message });
		t.is(error?.code, code);
		t.true(network.socket.closed);
		t.is(clock.active.size, 0);
	});
}

// Failures after the head, seen by read(): [what, script, expected code].
const BODY_FAILURES: [string, ServerScript, HttpErrorCode][] = [
	['reset in the body', { response: `HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(3000)}`, after: { error: 'ECONNRESET' } }, 'CONNECTION_CLOSED'],
	['closed before Content-Length', { response: `HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n${'x'.repeat(3000)}`, after: 'end' }, 'TRUNCATED_BODY'],
	['closed inside a chunked body', { response: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n${'x'.repeat(3000)}`, after: 'end' }, 'TRUNCATED_BODY'],
	['bad chunk size', { response: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n${'x'.repeat(16)}\r\nnope\r\n` }, 'BAD_CHUNK_SIZE'],
	['body longer than Content-Length', { response: `HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n${'x'.repeat(3000)}`, maxPiece: 5000 }, 'BODY_TOO_LONG'],
];

for (const [what, script, code] of BODY_FAILURES) {
	test(`read() rejects: ${what}`, async (t) => {
		const { network, clock, request } = setup({ maxPiece: 700, ...script });
		const response = await request({ readSize: 512 });
		const error = await t.throwsAsync(readAll(response, 512), { instanceOf: HttpError });
		t.is(error?.code, code);
		t.true(network.socket.closed);
		t.is(clock.active.size, 0);
	});
}

test('close() in the middle stops everything; later reads fail with ABORTED', async (t) => {
	const { network, clock, request } = setup({ response: `HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(100000)}` });
	const response = await request({ readSize: 100 });
	t.truthy(await response.read());
	response.close();
	response.close();
	t.true(network.socket.closed);
	t.is(clock.active.size, 0);
	t.is((await t.throwsAsync(response.read(), { instanceOf: HttpError }))?.code, 'ABORTED');
	await settle(50); // the fake would throw on any read after close
});

test('close() rejects a read() that is waiting', async (t) => {
	const { request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', after: 'hang' });
	const response = await request();
	const pending = response.read();
	await settle();
	response.close();
	t.is((await t.throwsAsync(pending, { instanceOf: HttpError }))?.code, 'ABORTED');
});

test('a second read() while one is pending is refused', async (t) => {
	const { request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', after: 'hang' });
	const response = await request();
	const pending = response.read();
	await t.throwsAsync(response.read(), { message: /another read\(\) is pending/ });
	response.close();
	await t.throwsAsync(pending);
});

test('writes keep to the counts the host announces', async (t) => {
	const { network, request } = setup({ response: 'HTTP/1.1 204 No Content\r\n\r\n', writable: 7 });
	const body = new Uint8Array(pattern(100));
	const response = await request({ method: 'PUT', body, headers: { 'X-A': 'b' } });
	t.is(response.status, 204);
	const socket = network.socket;
	t.is(socket.overruns, 0);
	t.true(socket.writes.every((w) => w.length <= 7));
	t.true(socket.written.equals(Buffer.from(serializeRequest({ method: 'PUT', host: 'updates.example.com', port: 443, path: '/fw/image.bin', headers: { 'X-A': 'b' }, body }))));
});

test('invalid options reject before connecting', async (t) => {
	// [options, message pattern]
	const cases: [Partial<HttpRequestOptions>, RegExp][] = [
		[{ url: 'http://x/' }, /URL must use https/],
		[{ url: 'https://user@x/' }, /user information/],
		[{ method: 'GE T' }, /invalid HTTP method/],
		[{ headers: { 'X-A': 'a\r\nInjected: yes' } }, /invalid value for header "X-A"/],
		[{ headers: { Host: 'other' } }, /set by the HTTP client/],
		[{ timeout: 0 }, /timeout must be a positive number/],
		[{ idleTimeout: Number.NaN }, /idleTimeout must be a positive number/],
		[{ readSize: 0 }, /readSize must be an integer/],
		[{ maxHeaderBytes: 1.5 }, /maxHeaderBytes must be an integer/],
	];
	for (const [options, message] of cases) {
		const { network, clock, request } = setup({});
		await t.throwsAsync(request(options), { message }, JSON.stringify(options));
		t.is(network.sockets.length, 0);
		t.is(clock.active.size, 0);
	}
});

test('a host that throws from connect() gives CONNECT_FAILED', async (t) => {
	const clock = countingClock();
	const network = { connect: () => { throw new Error('no network interface'); } };
	const error = await t.throwsAsync(httpRequest(network, clock, { url: 'https://x.example/', method: 'GET' }), { instanceOf: HttpError });
	t.is(error?.code, 'CONNECT_FAILED');
	t.regex(error?.message ?? '', /no network interface/);
	t.is(clock.active.size, 0);
});

test('no callback is acted on after the exchange ended', async (t) => {
	const { network, request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' });
	const response = await request();
	t.is(await response.text(), 'ok');
	const socket = network.socket;
	// A misbehaving host calling back after close(): nothing may touch the closed socket.
	socket.options.onReadable(10);
	socket.options.onEnd?.();
	socket.options.onError('late error');
	socket.options.onWritable?.(100);
	t.is(await response.read(), undefined);
});

test('IPv6 host: bracketed Host header, bare address to connect', async (t) => {
	const { network, request } = setup({ response: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' });
	await request({ url: 'https://[::1]:8443/x' });
	t.is(network.socket.options.host, '::1');
	t.regex(network.socket.written.toString(), /^GET \/x HTTP\/1\.1\r\nHost: \[::1\]:8443\r\n/);
});
