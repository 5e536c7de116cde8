/*
 * The network port over node:tls, with the certificate checks a device makes: the server's chain
 * must lead to one of the trusted CAs and name the host (DNS name or IP address) we dialled, and
 * TLS 1.2 at most, as on Moddable.
 *
 * Reads apply backpressure the way a device socket does: received bytes wait in a small queue
 * until the agent reads them, and once the queue holds `highWater` bytes the socket is paused, so
 * a fast server cannot make the simulator buffer a whole image in memory.
 */
import * as tls from 'node:tls';
import { isIP } from 'node:net';
import type { NetworkPort, Socket, SocketOptions, ByteSource } from '../../modules/ports';
import type { TlsSessionCache } from './tls-sessions';

export interface TlsNetworkOptions {
	/** PEM of the CA certificates the device trusts. */
	ca: string | string[];
	/** Bytes buffered before the socket pauses; default 16 KiB (a TLS record). */
	highWater?: number;
	/** Milliseconds allowed for TCP connect plus handshake; default 30 s. */
	connectTimeout?: number;
	/** Told how many connections are open whenever one opens or closes. */
	onActivity?: (open: number) => void;
	/** Resume TLS sessions from (and keep new ones in) this cache; see tls-sessions.ts. */
	sessions?: TlsSessionCache;
}

export interface TlsNetwork extends NetworkPort {
	/** Close every socket still open, as a reset would. */
	closeAll(): void;
}

export function createTlsNetwork(options: TlsNetworkOptions): TlsNetwork {
	const highWater = options.highWater ?? 16 * 1024;
	const connectTimeout = options.connectTimeout ?? 30_000;
	const open = new Set<TlsSocket>();
	return {
		connect(socketOptions: SocketOptions): Socket {
			const socket = new TlsSocket(socketOptions, options.ca, highWater, connectTimeout, () => {
				if (open.delete(socket)) options.onActivity?.(open.size);
			}, options.sessions);
			open.add(socket);
			options.onActivity?.(open.size);
			return socket;
		},
		closeAll() {
			for (const socket of open) socket.close();
		},
	};
}

class TlsSocket implements Socket {
	#socket: tls.TLSSocket;
	#callbacks: SocketOptions;
	#queue: Buffer[] = [];
	#queued = 0;
	#highWater: number;
	#closed = false;
	#failed = false;
	#connectTimer: NodeJS.Timeout | undefined;
	#onClosed: () => void;

	constructor(options: SocketOptions, ca: string | string[], highWater: number, connectTimeout: number, onClosed: () => void, sessions?: TlsSessionCache) {
		this.#callbacks = options;
		this.#onClosed = onClosed;
		this.#highWater = highWater;
		const socket = tls.connect({
			host: options.host,
			port: options.port,
			// SNI and the name check use the host; an IP literal is checked against iPAddress SANs.
			servername: isIP(options.host) ? undefined : options.host,
			secureContext: contextFor(ca),
			rejectUnauthorized: true,
			// Moddable's TLS stops at 1.2 (protocolVersion 0x303; it has no 1.3), so the
			// simulated device does too: the cloud must serve what a real device speaks.
			maxVersion: 'TLSv1.2',
		});
		// Set here rather than as tls.connect's `session` option, which Node parses twice; the
		// handshake starts once TCP connects, after this.
		const session = sessions?.get(options.host, options.port);
		// setSession is a documented TLSSocket method that @types/node 20 does not declare.
		if (session) (socket as tls.TLSSocket & { setSession(session: Buffer): void }).setSession(session);
		this.#socket = socket;
		if (sessions) socket.on('session', (session: Buffer) => sessions.set(options.host, options.port, session));
		this.#connectTimer = setTimeout(() => this.#fail(`connect to ${options.host}:${options.port} timed out`), connectTimeout);
		socket.on('secureConnect', () => {
			clearTimeout(this.#connectTimer);
			sessions?.count(socket.isSessionReused());
			if (this.#closed) return;
			this.#callbacks.onConnect?.();
			this.#callbacks.onWritable?.(highWater);
		});
		socket.on('data', (data: Buffer) => {
			if (this.#closed) return;
			this.#queue.push(data);
			this.#queued += data.length;
			if (this.#queued >= this.#highWater) socket.pause();
			this.#callbacks.onReadable(this.#queued);
		});
		socket.on('drain', () => {
			if (!this.#closed) this.#callbacks.onWritable?.(highWater);
		});
		socket.on('end', () => {
			if (!this.#closed) this.#callbacks.onEnd?.();
		});
		socket.on('error', (error: NodeJS.ErrnoException) => this.#fail(describeTlsError(error)));
		socket.on('close', () => {
			// A close without 'end' or 'error' (reset mid-stream) is still a broken connection.
			if (!this.#closed && !socket.readableEnded) this.#fail('connection closed by the peer');
		});
	}

	read(maxBytes?: number): ArrayBuffer | undefined {
		if (this.#closed || this.#queued === 0) return undefined;
		const want = Math.min(maxBytes ?? this.#queued, this.#queued);
		const head = this.#queue[0];
		if (head.length >= want) {
			// The common case, a read within one received buffer: one copy into a buffer of its own.
			const out = head.buffer.slice(head.byteOffset, head.byteOffset + want) as ArrayBuffer;
			if (want === head.length) this.#queue.shift();
			else this.#queue[0] = head.subarray(want);
			this.#consumed(want);
			return out;
		}
		const out = new Uint8Array(want);
		let filled = 0;
		while (filled < want) {
			const head = this.#queue[0];
			const take = Math.min(head.length, want - filled);
			out.set(head.subarray(0, take), filled);
			filled += take;
			if (take === head.length) this.#queue.shift();
			else this.#queue[0] = head.subarray(take);
		}
		this.#consumed(want);
		return out.buffer;
	}

	/** `count` bytes left the queue: take the brake off once it has drained to half. */
	#consumed(count: number): void {
		this.#queued -= count;
		if (this.#queued < this.#highWater / 2 && this.#socket.isPaused()) this.#socket.resume();
	}

	write(bytes: ByteSource): void {
		if (this.#closed) throw new Error('socket is closed');
		const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
		this.#socket.write(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#onClosed();
		clearTimeout(this.#connectTimer);
		this.#queue = [];
		this.#queued = 0;
		this.#socket.destroy();
	}

	#fail(message: string): void {
		if (this.#closed || this.#failed) return;
		this.#failed = true;
		this.#onClosed();
		clearTimeout(this.#connectTimer);
		this.#socket.destroy();
		this.#callbacks.onError(message);
	}
}

/**
 * Secure contexts by the CAs they trust. Building one parses the PEM and sets up OpenSSL's
 * certificate store, which costs more than a resumed handshake; every socket trusting the same
 * CAs can share one (as an https.Agent does). The few CAs a process meets are kept.
 */
const contexts = new Map<string, tls.SecureContext>();

function contextFor(ca: string | string[]): tls.SecureContext {
	const key = Array.isArray(ca) ? ca.join('\n') : ca;
	let context = contexts.get(key);
	if (!context) {
		if (contexts.size >= 16) contexts.clear();
		context = tls.createSecureContext({ ca });
		contexts.set(key, context);
	}
	return context;
}

/** Certificate failures get a message that says so; the agent reports them as connection failures. */
function describeTlsError(error: NodeJS.ErrnoException): string {
	const code = error.code ?? '';
	if (/CERT|SELF_SIGNED|ERR_TLS_CERT_ALTNAME|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
		return `TLS certificate rejected (${code}): ${error.message}`;
	}
	return code ? `${code}: ${error.message}` : error.message;
}
