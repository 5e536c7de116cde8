/*
 * A small HTTP/1.1 load generator for benchmarks: N keep-alive connections (TLS or plain TCP),
 * each sending one request at a time and reading the answer by its Content-Length, for a fixed
 * duration or a fixed number of requests, whichever ends first. Loopback only, and bounded in
 * connections, time and requests, so a typo cannot turn it into a flood.
 *
 * It speaks just enough HTTP to be cheap: requests are prebuilt bytes, answers are parsed for the
 * status line and Content-Length only (chunked answers are counted as errors).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface LoadRequest {
	method: string;
	path: string;
	headers?: Record<string, string>;
	body?: string;
}

export interface LoadOptions {
	/** 127.0.0.1, ::1 or localhost: nothing else is accepted. */
	host: string;
	port: number;
	/** TLS with this CA; plain TCP when undefined. */
	tls?: { ca: string; servername?: string };
	connections: number;
	/** Stop after this long (at most MAX_DURATION_MS). */
	durationMs: number;
	/** Stop after this many answers in all (at most MAX_REQUESTS). */
	maxRequests?: number;
	/** The n-th request sent (n counts from 0 over all connections). */
	request: (n: number) => LoadRequest;
	/** A single answer taking longer than this fails the run; default 10 s. */
	timeoutMs?: number;
}

export interface LoadResult {
	requests: number;
	/** Answers with a status other than 2xx, and broken connections. */
	errors: number;
	statuses: Record<string, number>;
	durationMs: number;
	rps: number;
	p50Ms: number;
	p99Ms: number;
	maxMs: number;
}

export const MAX_CONNECTIONS = 256;
export const MAX_DURATION_MS = 120_000;
export const MAX_REQUESTS = 5_000_000;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const HEADER_END = Buffer.from('\r\n\r\n');

function encode(request: LoadRequest, host: string): Buffer {
	const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
	const lines = [`${request.method} ${request.path} HTTP/1.1`, `Host: ${host}`, 'Connection: keep-alive'];
	for (const [name, value] of Object.entries(request.headers ?? {})) lines.push(`${name}: ${value}`);
	if (body) lines.push(`Content-Length: ${body.length}`);
	const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
	return body ? Buffer.concat([head, body]) : head;
}

function percentile(sorted: Float64Array, p: number): number {
	if (sorted.length === 0) return 0;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
	if (!LOOPBACK.has(options.host)) throw new Error(`the load generator only targets loopback (got ${options.host})`);
	if (!Number.isInteger(options.connections) || options.connections < 1 || options.connections > MAX_CONNECTIONS) {
		throw new Error(`connections must be 1 to ${MAX_CONNECTIONS}`);
	}
	if (!(options.durationMs > 0 && options.durationMs <= MAX_DURATION_MS)) throw new Error(`durationMs must be 1 to ${MAX_DURATION_MS}`);
	const maxRequests = Math.min(options.maxRequests ?? MAX_REQUESTS, MAX_REQUESTS);
	const timeoutMs = options.timeoutMs ?? 10_000;
	const latencies = new Float64Array(maxRequests);
	const statuses: Record<string, number> = {};
	let answered = 0;
	let sent = 0;
	let errors = 0;
	const started = performance.now();
	const deadline = started + options.durationMs;
	let failure: Error | undefined;

	const worker = (): Promise<void> => new Promise((resolve) => {
		const socket: Socket = options.tls
			? tlsConnect({ host: options.host, port: options.port, ca: options.tls.ca, servername: options.tls.servername ?? 'localhost' })
			: netConnect({ host: options.host, port: options.port });
		socket.setNoDelay(true);
		let buffer: Buffer = Buffer.alloc(0);
		let sentAt = 0;
		let expected = -1;
		let headerLength = 0;
		let status = 0;
		const timer = setInterval(() => {
			if (sentAt > 0 && performance.now() - sentAt > timeoutMs) {
				failure ??= new Error(`no answer within ${timeoutMs} ms`);
				socket.destroy();
			}
		}, 1000);
		const finish = (): void => {
			clearInterval(timer);
			socket.destroy();
			resolve();
		};
		const send = (): void => {
			if (failure || performance.now() >= deadline || sent >= maxRequests) {
				finish();
				return;
			}
			const bytes = encode(options.request(sent++), options.host);
			sentAt = performance.now();
			socket.write(bytes);
		};
		socket.once(options.tls ? 'secureConnect' : 'connect', send);
		socket.on('data', (chunk: Buffer) => {
			buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]) as Buffer;
			for (;;) {
				if (expected < 0) {
					const end = buffer.indexOf(HEADER_END);
					if (end < 0) return;
					const head = buffer.subarray(0, end).toString('latin1');
					status = Number(head.slice(9, 12));
					const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
					if (!length) {
						failure ??= new Error(`answer without Content-Length: ${head.slice(0, 200)}`);
						finish();
						return;
					}
					headerLength = end + HEADER_END.length;
					expected = Number(length[1]);
				}
				if (buffer.length < headerLength + expected) return;
				const latency = performance.now() - sentAt;
				if (answered < latencies.length) latencies[answered] = latency;
				answered++;
				statuses[status] = (statuses[status] ?? 0) + 1;
				if (status < 200 || status > 299) errors++;
				buffer = buffer.subarray(headerLength + expected);
				expected = -1;
				sentAt = 0;
				send();
			}
		});
		socket.on('error', () => {
			errors++;
			finish();
		});
		socket.on('close', finish);
	});

	await Promise.all(Array.from({ length: options.connections }, worker));
	if (failure) throw failure;
	const durationMs = performance.now() - started;
	const sorted = latencies.slice(0, Math.min(answered, latencies.length)).sort();
	return {
		requests: answered,
		errors,
		statuses,
		durationMs,
		rps: answered / (durationMs / 1000),
		p50Ms: percentile(sorted, 50),
		p99Ms: percentile(sorted, 99),
		maxMs: sorted.length ? sorted[sorted.length - 1]! : 0,
	};
}
