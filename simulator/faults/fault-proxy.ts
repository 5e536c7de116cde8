/*
 * An HTTPS proxy between simulated devices and the device cloud that breaks things on purpose.
 *
 * Devices are given the proxy's URL as provision.api and the cloud hands out image URLs through
 * it (its publicUrl), so every byte a device exchanges passes here. The proxy's certificate comes
 * from the cloud's CA, so the devices' trust is unchanged. Each request is forwarded to the cloud
 * and answered through the FaultPlan attached to its device (check-ins, keyed by the device id
 * in the body) or to its image (keyed by the checksum in the URL); requests with no plan pass
 * through untouched. The plan's ledger records, for each image answer, where its body started
 * in the image, how many bytes were handed to the connection and how many the device held
 * when it asked: the measure of wasted and re-downloaded bytes (waste.ts).
 */
import { createServer, request as httpsRequest, Agent, type Server } from 'node:https';
import { STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createServerCertificate, type CertificateAndKey } from '../tls/certificates';
import { IMAGE_PATH } from '../cloud/image-download';
import type { CheckinFault, ImageFault } from './faults';
import type { FaultPlan, ImageExchange } from './fault-plan';

export interface Upstream {
	/** Base URL of the cloud, e.g. https://localhost:8443 */
	url: string;
	/** The CA that signed the cloud's certificate. */
	caPem: string;
}

export interface FaultProxyOptions {
	/** The cloud's CA: the proxy's certificate is issued by it, for localhost and 127.0.0.1. */
	ca: CertificateAndKey;
	/** A certificate issued earlier by the same CA, to skip issuing one (key generation is slow). */
	certificate?: CertificateAndKey;
	/** Where requests go; can be set (or changed) later with setUpstream. */
	upstream?: Upstream;
	/** How long a stalled answer is held open at most before the proxy drops it; default 60 s. */
	stallLimitMs?: number;
	log?: (line: string) => void;
}

export interface FaultProxy {
	/** https://127.0.0.1:<port> */
	url: string;
	port: number;
	/** The proxy's certificate and key, for reuse by another proxy. */
	certificate: CertificateAndKey;
	setUpstream(upstream: Upstream): void;
	/** Route the check-ins of `deviceId` and the downloads of image `checksum` through `plan`; returns detach. */
	attach(plan: FaultPlan, keys: { deviceId: string; checksum: string }): () => void;
	close(): Promise<void>;
}

const CHECKIN_PATH = '/tok/provision/update';
const MAX_BODY = 1024 * 1024;

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
	const log = options.log ?? ((): void => {});
	const stallLimit = options.stallLimitMs ?? 60_000;
	const certificate = options.certificate ?? await createServerCertificate({ ca: options.ca, hosts: ['localhost', '127.0.0.1'] });
	let upstream = options.upstream;
	let agent = new Agent({ keepAlive: true, maxSockets: 64 });
	const byDevice = new Map<string, FaultPlan>();
	const byChecksum = new Map<string, FaultPlan>();

	const forward = (method: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer): Promise<IncomingMessage> => {
		const target = upstream;
		if (!target) return Promise.reject(new Error('the fault proxy has no upstream cloud'));
		return new Promise((resolve, reject) => {
			const request = httpsRequest(new URL(path, target.url), { method, headers, ca: target.caPem, agent }, resolve);
			request.on('error', reject);
			request.end(body);
		});
	};

	const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
		const target = request.url ?? '/';
		const path = target.split('?')[0];
		const image = request.method === 'GET' ? IMAGE_PATH.exec(path) : null;
		if (image) {
			await serveImage(request, response, target, byChecksum.get(image[2]), forward, stallLimit);
			return;
		}
		const body = await readAll(request, MAX_BODY);
		const headers = pick(request.headers, ['authorization', 'content-type', 'accept']);
		if (request.method === 'POST' && path === CHECKIN_PATH) {
			const plan = byDevice.get(deviceIdOf(body));
			await serveCheckin(response, plan, () => forward('POST', target, headers, body), stallLimit);
			return;
		}
		const answer = await forward(request.method ?? 'GET', target, headers, body.length ? body : undefined);
		response.writeHead(answer.statusCode ?? 502, pick(answer.headers, ['content-type', 'content-length', 'www-authenticate', 'allow']));
		response.end(await readAll(answer, MAX_BODY));
	};

	const sockets = new Set<Socket>();
	const server: Server = createServer({ cert: `${certificate.certPem.trimEnd()}\n${options.ca.certPem.trimEnd()}\n`, key: certificate.keyPem }, (request, response) => {
		handle(request, response).catch((error: unknown) => {
			log(`fault proxy: ${request.method} ${request.url}: ${(error as Error).message}`);
			if (!response.headersSent) {
				response.writeHead(502, { 'Content-Type': 'application/json', Connection: 'close' });
				response.end(JSON.stringify({ error: `fault proxy: ${(error as Error).message}` }));
			} else {
				response.destroy();
			}
		});
	});
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	server.on('tlsClientError', (error) => log(`fault proxy tls: ${error.message}`));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const address = server.address();
	if (address === null || typeof address === 'string') throw new Error('the fault proxy has no TCP address');

	let closing: Promise<void> | undefined;
	return {
		url: `https://127.0.0.1:${address.port}`,
		port: address.port,
		certificate,
		setUpstream(next) {
			if (!next || typeof next.url !== 'string' || !/^https:\/\//i.test(next.url)) throw new Error('upstream needs the https URL of the cloud');
			if (typeof next.caPem !== 'string' || !next.caPem.includes('BEGIN CERTIFICATE')) throw new Error('upstream needs the PEM of the cloud\'s CA');
			upstream = next;
			agent.destroy();
			agent = new Agent({ keepAlive: true, maxSockets: 64 });
		},
		attach(plan, keys) {
			if (byDevice.has(keys.deviceId)) throw new Error(`device ${keys.deviceId} already has a fault plan`);
			if (byChecksum.has(keys.checksum)) throw new Error(`image ${keys.checksum} already has a fault plan`);
			byDevice.set(keys.deviceId, plan);
			byChecksum.set(keys.checksum, plan);
			return () => {
				if (byDevice.get(keys.deviceId) === plan) byDevice.delete(keys.deviceId);
				if (byChecksum.get(keys.checksum) === plan) byChecksum.delete(keys.checksum);
			};
		},
		close() {
			closing ??= new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const socket of sockets) socket.destroy();
				agent.destroy();
			});
			return closing;
		},
	};
}

type Forward = (method: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer) => Promise<IncomingMessage>;

/** An image GET: forward it, then send the answer through the plan's next image fault. */
async function serveImage(request: IncomingMessage, response: ServerResponse, target: string, plan: FaultPlan | undefined, forward: Forward, stallLimit: number): Promise<void> {
	let fault = plan?.takeImage();
	const exchange: ImageExchange = { target: 'image', status: 0, asked: rangeStart(request.headers.range), start: 0, sent: 0, held: plan?.deviceReceived ?? 0, restarts: false };
	plan?.record(exchange);
	// A device that asks for no range starts over: it holds nothing it means to keep.
	if (plan && exchange.asked === undefined) plan.deviceReceived = 0;
	if (fault?.kind === 'server-error') {
		exchange.fault = fault.kind;
		exchange.status = fault.status;
		sendError(response, fault.status, 'injected server error');
		return;
	}
	if (fault?.kind === 'full-body' && request.headers.range === undefined) {
		exchange.skipped = fault.kind;
		fault = undefined;
	}
	const headers = fault?.kind === 'full-body' ? {} : pick(request.headers, ['range', 'if-range']);
	const answer = await forward('GET', target, headers);
	const status = answer.statusCode ?? 502;
	exchange.status = status;
	if (status !== 200 && status !== 206) {
		if (fault) exchange.skipped = fault.kind;
		response.writeHead(status, pick(answer.headers, ['content-type', 'content-length', 'content-range', 'etag']));
		response.end(await readAll(answer, MAX_BODY));
		return;
	}
	await sendImageBody(answer, response, exchange, fault, stallLimit, plan);
}

/** Stream a 200/206 image answer to the device, applying `fault`; fills in `exchange`. */
async function sendImageBody(answer: IncomingMessage, response: ServerResponse, exchange: ImageExchange, fault: ImageFault | undefined, stallLimit: number, plan: FaultPlan | undefined): Promise<void> {
	const length = Number(answer.headers['content-length']);
	if (!Number.isSafeInteger(length) || length < 0) throw new Error('the cloud sent an image without a Content-Length');
	const partial = exchange.status === 206;
	const range = partial ? contentRange(answer.headers['content-range']) : undefined;
	if (partial && !range) throw new Error('the cloud sent a 206 without a usable Content-Range');
	exchange.start = range?.start ?? 0;
	exchange.size = range?.total ?? length;
	const headers = pick(answer.headers, ['content-type', 'etag', 'accept-ranges', 'content-range']);
	let announced = length;
	/** Body bytes to send before `ending` happens; the whole body when no fault stops it. */
	let limit = length;
	let ending: 'cut' | 'stall' | 'truncate' | 'end' = 'end';
	let corruptAt = -1;
	let changed = false;
	let trickle = { bytes: 0, piece: 1, delay: 0 };
	const lastByte = Math.max(0, length - 1);
	switch (fault?.kind) {
		case 'cut':
		case 'stall':
		case 'truncate':
			limit = Math.min(fault.at, lastByte);
			ending = fault.kind;
			break;
		case 'corrupt':
			corruptAt = Math.min(fault.at, lastByte);
			break;
		case 'wrong-length':
			announced = Math.max(0, length + fault.delta);
			break;
		case 'etag-change':
			headers.etag = `"changed-${Date.now().toString(36)}"`;
			if (partial) {
				// The release behind the URL changed since the device started: other bytes too.
				changed = true;
				exchange.restarts = true;
			} else if (fault.cutAt !== undefined) {
				limit = Math.min(fault.cutAt, lastByte);
				ending = 'cut';
			}
			break;
		case 'trickle':
			trickle = fault;
			break;
		case 'full-body':
		case undefined:
			break;
		default:
			throw new Error(`image fault ${(fault as { kind: string }).kind} is not handled`);
	}
	if (fault) exchange.fault = fault.kind;
	// A correct device drops what it held on a whole image answering a range, or a changed release;
	// its progress from this answer on counts from 0.
	if (plan && (changed || (!partial && exchange.asked !== undefined))) plan.deviceReceived = 0;
	headers['content-length'] = String(announced);
	response.writeHead(exchange.status, headers);

	const writer = new BodyWriter(response);
	let offset = 0;
	try {
		for await (const chunk of answer as AsyncIterable<Buffer>) {
			if (offset >= limit || writer.closed) break;
			let piece = chunk.subarray(0, Math.min(chunk.length, limit - offset));
			if (changed || (corruptAt >= offset && corruptAt < offset + piece.length)) {
				piece = Buffer.from(piece);
				if (changed) for (let i = 0; i < piece.length; i++) piece[i] ^= 0x5a;
				else piece[corruptAt - offset] ^= 0xff;
			}
			// The trickled head of the body goes out in small pieces with pauses between them.
			while (piece.length > 0 && offset < trickle.bytes && !writer.closed) {
				const n = Math.min(trickle.piece, trickle.bytes - offset, piece.length);
				await writer.write(piece.subarray(0, n));
				offset += n;
				piece = piece.subarray(n);
				await delay(trickle.delay);
			}
			if (piece.length > 0 && !writer.closed) {
				await writer.write(piece);
				offset += piece.length;
			}
		}
	} finally {
		answer.destroy();
	}
	exchange.sent = writer.sent;
	await writer.finish(ending, stallLimit);
}

/** A check-in: forward it, then answer through the plan's next check-in fault. */
async function serveCheckin(response: ServerResponse, plan: FaultPlan | undefined, forward: () => Promise<IncomingMessage>, stallLimit: number): Promise<void> {
	const fault: CheckinFault | undefined = plan?.takeCheckin();
	const exchange = { target: 'checkin' as const, fault: fault?.kind, status: 0 };
	plan?.record(exchange);
	if (fault?.kind === 'server-error') {
		exchange.status = fault.status;
		sendError(response, fault.status, 'injected server error');
		return;
	}
	const answer = await forward();
	const status = answer.statusCode ?? 502;
	const body = await readAll(answer, MAX_BODY);
	exchange.status = status;
	if (!fault) {
		response.writeHead(status, { 'Content-Type': answer.headers['content-type'] ?? 'application/json', 'Content-Length': String(body.length) });
		response.end(body);
		return;
	}
	// Cut or stall anywhere in the answer, its head included: write the bytes by hand.
	const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Status'}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
	const raw = Buffer.concat([Buffer.from(head, 'latin1'), body]);
	const socket = response.socket;
	if (!socket) return;
	const bytes = raw.subarray(0, Math.min(fault.at, raw.length - 1));
	await new Promise<void>((resolve) => (bytes.length > 0 ? socket.write(bytes, () => resolve()) : resolve()));
	if (fault.kind === 'cut') socket.destroy();
	else await held(socket, stallLimit);
}

/** Writes body bytes with backpressure and counts them; knows when the device went away. */
class BodyWriter {
	sent = 0;
	closed = false;
	#response: ServerResponse;

	constructor(response: ServerResponse) {
		this.#response = response;
		response.once('close', () => {
			this.closed = true;
		});
	}

	async write(bytes: Buffer): Promise<void> {
		const response = this.#response;
		if (this.closed || response.destroyed) {
			this.closed = true;
			return;
		}
		this.sent += bytes.length;
		if (response.write(bytes)) return;
		await new Promise<void>((resolve) => {
			const done = () => {
				response.off('drain', done);
				response.off('close', done);
				resolve();
			};
			response.once('drain', done);
			response.once('close', done);
		});
	}

	/** End the answer the way the fault says. */
	async finish(ending: 'cut' | 'stall' | 'truncate' | 'end', stallLimit: number): Promise<void> {
		const response = this.#response;
		if (this.closed || response.destroyed) return;
		if (ending === 'end' || ending === 'truncate') {
			// A short body ends cleanly too: the connection closes (the device asked for that).
			response.end();
			return;
		}
		// Everything written so far (the head at least) reaches the device before the cut or the silence.
		// (headersSent turns true when writeHead renders the head, not when it is written.)
		response.flushHeaders();
		const socket = response.socket;
		if (!socket) return;
		await drained(socket);
		if (ending === 'cut') socket.destroy();
		else await held(socket, stallLimit);
	}
}

/**
 * Resolves once the socket has handed everything written before to the system (or failed): an
 * empty write's callback comes after those of all earlier writes.
 */
function drained(socket: Socket): Promise<void> {
	if (socket.destroyed) return Promise.resolve();
	return new Promise((resolve) => {
		socket.write(Buffer.alloc(0), () => resolve());
	});
}

/** Keep a stalled connection open until the device drops it (or the limit passes). */
function held(socket: Socket, limit: number): Promise<void> {
	return new Promise((resolve) => {
		if (socket.destroyed) {
			resolve();
			return;
		}
		const timer = setTimeout(() => socket.destroy(), limit);
		socket.once('close', () => {
			clearTimeout(timer);
			resolve();
		});
	});
}

function sendError(response: ServerResponse, status: number, message: string): void {
	const body = JSON.stringify({ error: message, code: 'injected' });
	response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
	response.end(body);
}

function delay(ms: number): Promise<void> {
	return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function readAll(stream: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		stream.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				stream.destroy(new Error(`body larger than ${limit} bytes`));
				return;
			}
			chunks.push(chunk);
		});
		stream.on('end', () => resolve(Buffer.concat(chunks)));
		stream.on('error', reject);
	});
}

function pick(headers: IncomingMessage['headers'], names: string[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (const name of names) {
		const value = headers[name];
		if (typeof value === 'string') out[name] = value;
	}
	return out;
}

/** The first byte of a `Range: bytes=N-` request, or undefined. */
function rangeStart(header: string | undefined): number | undefined {
	const match = header ? /^\s*bytes\s*=\s*(\d+)-/i.exec(header) : null;
	return match ? Number(match[1]) : undefined;
}

function contentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
	const match = header ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim()) : null;
	return match ? { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) } : undefined;
}

function deviceIdOf(body: Buffer): string {
	try {
		const value = JSON.parse(body.toString('utf8')) as { id?: unknown };
		return typeof value?.id === 'string' ? value.id : '';
	} catch {
		return '';
	}
}
