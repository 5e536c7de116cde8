/*
 * Connections kept between requests (modules/http/connection-pool.ts), against a real TLS server
 * on loopback that speaks just enough HTTP/1.1 to keep a connection, close it, or drop it.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { httpRequest, type HttpResponse } from '../../modules/http/client';
import { ConnectionPool } from '../../modules/http/connection-pool';
import { createTlsNetwork } from '../../hosts/sim/tls-network';
import { createNodeClock } from '../../hosts/sim/node-clock';
import { ensureCloudTls } from '../../simulator/tls/certificates';

interface Server {
	url: string;
	/** Connections accepted, and the request lines each carried. */
	connections: string[][];
	/** Connection headers of the requests, in order. */
	connectionHeaders: string[];
	/** Sockets the server saw closed by the client. */
	clientClosed: number;
}

/**
 * Paths: /ok answers 200 "ok" and keeps the connection; /close answers with Connection: close
 * and ends it; /http10 answers as HTTP/1.0; /drop answers the first request of a connection and
 * drops the connection, unanswered, on any later one; /big answers 100,000 bytes; /bye answers
 * and keeps the connection, then closes it 50 ms later (a server's idle timeout).
 */
async function server(t: { teardown(fn: () => void): void }): Promise<Server> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-keep-alive-'));
	const keys = await ensureCloudTls(dir);
	const state: Server = { url: '', connections: [], connectionHeaders: [], clientClosed: 0 };
	const tcp = tls.createServer({ key: keys.keyPem, cert: keys.chainPem }, (socket) => {
		const lines: string[] = [];
		state.connections.push(lines);
		let buffered = '';
		socket.on('end', () => state.clientClosed++);
		socket.on('error', () => {});
		socket.on('data', (data: Buffer) => {
			buffered += data.toString('latin1');
			for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
				const head = buffered.slice(0, end);
				const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
				if (buffered.length < end + 4 + length) return;
				buffered = buffered.slice(end + 4 + length);
				const requestLine = head.split('\r\n')[0]!;
				lines.push(requestLine);
				state.connectionHeaders.push(/connection: *([^\r]*)/i.exec(head)?.[1] ?? '');
				const target = requestLine.split(' ')[1];
				if (target === '/drop' && lines.length > 1) {
					socket.destroy();
					return;
				}
				if (target === '/close') socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
				else if (target === '/http10') socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
				else if (target === '/bye') {
					socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
					setTimeout(() => socket.end(), 50);
				} else if (target === '/big') socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(100_000)}`);
				else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
			}
		});
	});
	await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
	state.url = `https://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
	const network = createTlsNetwork({ ca: keys.caPem });
	const clock = createNodeClock();
	const pool = new ConnectionPool(clock, 500);
	t.teardown(() => {
		pool.close();
		network.closeAll();
		clock.dispose();
		tcp.close();
		fs.rmSync(dir, { recursive: true, force: true });
	});
	function get(target: string, options: { pool?: ConnectionPool | null; method?: string } = {}): Promise<HttpResponse> {
		return httpRequest(network, clock, { url: `${state.url}${target}`, method: options.method ?? 'GET', pool: options.pool === null ? undefined : options.pool ?? pool, body: options.method === 'POST' ? new TextEncoder().encode('{}') : undefined });
	}
	return Object.assign(state, { pool, get });
}

type World = Server & { pool: ConnectionPool; get(target: string, options?: { pool?: ConnectionPool | null; method?: string }): Promise<HttpResponse> };

const text = async (response: HttpResponse) => response.text();
const until = async (condition: () => boolean) => {
	for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
};

test('requests in a row share one connection, which asks to be kept', async (t) => {
	const s = await server(t) as World;
	t.is(await text(await s.get('/ok', { method: 'POST' })), 'ok');
	t.is(await text(await s.get('/ok')), 'ok');
	t.is(await text(await s.get('/ok')), 'ok');
	t.is(s.connections.length, 1);
	t.deepEqual(s.connections[0], ['POST /ok HTTP/1.1', 'GET /ok HTTP/1.1', 'GET /ok HTTP/1.1']);
	t.deepEqual(s.connectionHeaders, ['keep-alive', 'keep-alive', 'keep-alive']);
	t.is(s.pool.size, 1);
	s.pool.close();
	t.is(s.pool.size, 0);
	await until(() => s.clientClosed === 1);
	t.is(s.clientClosed, 1, 'closing the pool closes the connection');
});

test('without a pool every request has its own connection and says Connection: close', async (t) => {
	const s = await server(t) as World;
	await text(await s.get('/ok', { pool: null }));
	await text(await s.get('/ok', { pool: null }));
	t.is(s.connections.length, 2);
	t.deepEqual(s.connectionHeaders, ['close', 'close']);
});

for (const target of ['/close', '/http10']) {
	test(`a connection the server does not keep (${target}) is not reused`, async (t) => {
		const s = await server(t) as World;
		t.is(await text(await s.get(target)), 'ok');
		t.is(s.pool.size, 0);
		t.is(await text(await s.get('/ok')), 'ok');
		t.is(s.connections.length, 2);
	});
}

test('a body left unread closes its connection instead of keeping it', async (t) => {
	const s = await server(t) as World;
	const response = await s.get('/big');
	await response.read();
	response.close();
	t.is(s.pool.size, 0);
	t.is(await text(await s.get('/ok')), 'ok');
	t.is(s.connections.length, 2);
});

test('a kept connection dropped by the server before it answers: the request goes again on a new one', async (t) => {
	const s = await server(t) as World;
	t.is(await text(await s.get('/drop')), 'ok');
	t.is(s.pool.size, 1);
	t.is(await text(await s.get('/drop')), 'ok', 'answered on the second connection');
	t.is(s.connections.length, 2);
	t.deepEqual(s.connections[0], ['GET /drop HTTP/1.1', 'GET /drop HTTP/1.1']);
	t.deepEqual(s.connections[1], ['GET /drop HTTP/1.1']);
});

test('an idle connection the server closes is forgotten at once', async (t) => {
	const s = await server(t) as World;
	// A pool that would keep it for a minute: only the server's close can empty it.
	const clock = createNodeClock();
	const patient = new ConnectionPool(clock, 60_000);
	t.teardown(() => {
		patient.close();
		clock.dispose();
	});
	await text(await s.get('/bye', { pool: patient }));
	t.is(patient.size, 1);
	await until(() => patient.size === 0);
	t.is(patient.size, 0);
	t.is(await text(await s.get('/ok', { pool: patient })), 'ok');
	t.is(s.connections.length, 2);
});

test('an idle connection is closed after the pool\'s idle time', async (t) => {
	const s = await server(t) as World;
	await text(await s.get('/ok'));
	t.is(s.pool.size, 1);
	await until(() => s.pool.size === 0);
	t.is(s.pool.size, 0, 'closed after 500 ms idle');
	await until(() => s.clientClosed === 1);
	t.is(s.clientClosed, 1);
	t.is(await text(await s.get('/ok')), 'ok');
	t.is(s.connections.length, 2);
});
