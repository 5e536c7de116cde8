/*
 * The agent's NetworkPort over Moddable's SecureSocket (TLS 1.2 in JavaScript over the "socket"
 * module). The Moddable classes are passed in, so this logic runs under test with fakes.
 *
 * How SecureSocket behaves, and what this adapter does about it:
 * - Decrypted bytes are handed out in slices of at most 1024 bytes inside its callback and are
 *   gone once the callback returns, so every slice is moved into a ByteQueue at once; the agent
 *   reads from the queue whenever it likes.
 * - It drains the TCP socket for as long as the socket has bytes. To bound memory, SecureSocket is
 *   given its TCP socket through a pacing wrapper (its `sock` option): once the queue holds
 *   `pace.highWater` bytes the wrapper reports nothing more to read, so SecureSocket stops; when
 *   the agent has read the queue down to half, the wrapper hands SecureSocket the bytes still
 *   waiting. On lwip (ESP32) unread bytes stay in the socket's pbuf and the TCP window is only
 *   reopened once they are read, so the peer is held back too; the queue then never exceeds
 *   highWater plus one TLS record (16 KiB). Desktop sockets drop unread bytes when their
 *   callback returns, so pacing must stay off there (`pace` undefined).
 * - write() throws unless the whole buffer fits what the socket can take now, so writes are queued
 *   and sent in pieces as it reports room.
 * - The TCP socket is closed on a later turn, never from inside its own callback (see PacedSocket).
 * - Failures come as bare negative messages (its handshake errors are caught internally), so the
 *   stage at which a connection failed is tracked here to say what went wrong.
 */
import type { ByteSource, NetworkPort, Socket, SocketOptions } from '../../modules/ports';
import { ByteQueue } from './byte-queue';

/** Moddable socket messages (socket.js statics). */
export const SocketMessage = { connected: 1, readable: 2, writable: 3, disconnected: -1, error: -2 } as const;

/** Moddable's TCP Socket, as SecureSocket and this adapter use it (methods: Moddable's types are wider). */
export interface RawSocket {
	callback(message: number, value?: number): void;
	/** The count of bytes readable now. */
	read(): number;
	read(type: ArrayBufferConstructor, count?: number): ArrayBuffer;
	/** How many bytes the socket can take now. */
	write(): number;
	write(...data: ArrayBuffer[]): void;
	close(): void;
}

/** Moddable's SecureSocket instance. */
export interface SecureSocketInstance {
	callback(message: number, value?: number): void;
	read(): number;
	read(type: ArrayBufferConstructor, count?: number): ArrayBuffer;
	write(): number;
	write(...data: Uint8Array[]): void;
	close(): void;
}

type Callback = (message: number, value?: number) => void;

export interface TlsNetworkOptions<Certificate> {
	/** Moddable's Socket class (module "socket"). */
	Socket: new (dictionary: { host: string; port: number }) => RawSocket;
	/** Moddable's SecureSocket class (module "securesocket"). */
	SecureSocket: new (dictionary: { host: string; port: number; sock: object; secure: { certificate: Certificate; protocolVersion: number; verify: boolean } }) => SecureSocketInstance;
	/** The CA certificate the cloud's chain must lead to, DER (a Resource on a device). */
	certificate: Certificate;
	/** Run `callback` soon, outside the current call stack (Timer.set(callback) on Moddable). */
	defer(callback: () => void): void;
	/** Device time in ms, to refuse TLS while the clock is unset. */
	now(): number;
	/** Pause reading at this many queued bytes; leave undefined where the platform drops unread bytes. */
	pace?: { highWater: number };
	/** Times before this are an unset clock. Default 2024-01-01. */
	earliestTime?: number;
}

/** 2024-01-01T00:00:00Z: a device clock before it was never set (no SNTP yet). */
export const EARLIEST_TIME = 1_704_067_200_000;
/** Largest piece handed to SecureSocket.write at once (it refuses more than a TLS record). */
const MAX_WRITE = 4096;

export function createTlsNetwork<Certificate>(options: TlsNetworkOptions<Certificate>): NetworkPort {
	if (options.pace && !(Number.isInteger(options.pace.highWater) && options.pace.highWater >= 1024)) {
		throw new RangeError(`pace.highWater must be an integer of at least 1024 bytes, not ${options.pace.highWater}`);
	}
	return {
		connect: (socketOptions) => new TlsSocket(options, socketOptions),
	};
}

/** Where a connection was when it failed, for the message. */
export type FailureStage = 'tcp' | 'handshake' | 'open';

/** What the agent is told when a connection fails (its HTTP client files 'TLS' by these words). */
export function describeFailure(stage: FailureStage, message: number, host: string, port: number): string {
	const where = `${host}:${port}`;
	if (stage === 'tcp') {
		return message === SocketMessage.disconnected ? `connection to ${where} closed before it opened` : `cannot connect to ${where} (refused, unreachable or unknown host)`;
	}
	if (stage === 'handshake') {
		return message === SocketMessage.disconnected
			? `TLS handshake with ${where} failed: the server closed the connection (no common cipher suite or TLS version?)`
			: `TLS handshake with ${where} failed: certificate chain not trusted, not naming ${host}, out of date, or not sent whole`;
	}
	return message === SocketMessage.disconnected ? `connection to ${where} closed by the server` : `connection to ${where} broke`;
}

class TlsSocket<Certificate> implements Socket {
	#options: SocketOptions;
	#defer: (callback: () => void) => void;
	#queue = new ByteQueue();
	#pending: Uint8Array[] = [];
	#highWater: number | undefined;
	#raw: RawSocket | undefined;
	#secure: SecureSocketInstance | undefined;
	#stage: FailureStage = 'tcp';
	#closed = false;
	#paused = false;
	/** A message from the TCP socket held back while paused (its bytes come first). */
	#held: number | undefined;
	/** The TCP socket as SecureSocket sees it. */
	#pacer: PacedSocket | undefined;

	constructor(network: TlsNetworkOptions<Certificate>, options: SocketOptions) {
		this.#options = options;
		this.#defer = network.defer;
		this.#highWater = network.pace?.highWater;
		const { host, port } = options;
		if (network.now() < (network.earliestTime ?? EARLIEST_TIME)) {
			this.#failLater(`the device clock is not set (${new Date(network.now()).toISOString()}): certificate dates cannot be checked; set it (SNTP) before connecting to ${host}`);
			return;
		}
		try {
			const raw = new network.Socket({ host, port });
			this.#raw = raw;
			raw.callback = (message, value) => this.#onRaw(message, value);
			const pacer = new PacedSocket(raw, () => this.#paused, this.#defer);
			this.#pacer = pacer;
			const secure = new network.SecureSocket({ host, port, sock: pacer, secure: { certificate: network.certificate, protocolVersion: 0x303, verify: true } });
			this.#secure = secure;
			secure.callback = (message, value) => this.#onSecure(message, value ?? 0);
		} catch (error) {
			this.#raw?.close();
			this.#raw = undefined;
			this.#failLater(`cannot open a TLS connection to ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
		}
	}

	read(maxBytes?: number): ArrayBuffer | undefined {
		if (this.#closed) return undefined;
		const bytes = this.#queue.read(maxBytes);
		if (this.#paused && this.#queue.size <= (this.#highWater as number) / 2) {
			this.#paused = false;
			this.#defer(() => this.#resume());
		}
		return bytes;
	}

	write(bytes: ByteSource): void {
		if (this.#closed) throw new Error(`connection to ${this.#options.host} is closed`);
		const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
		if (!(view instanceof Uint8Array)) throw new TypeError('write takes a Uint8Array or an ArrayBuffer');
		if (view.byteLength === 0) return;
		// A copy: the caller may reuse its buffer once write() returns.
		this.#pending.push(view.slice());
		if (this.#stage === 'open') this.#flush();
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#queue.clear();
		this.#pending = [];
		const secure = this.#secure;
		this.#secure = undefined;
		this.#raw = undefined;
		try {
			secure?.close();
		} catch {
			// already closed by the peer's disconnect: nothing left to release
		}
	}

	#onRaw(message: number, value: number | undefined): void {
		if (this.#closed) return;
		if (message === SocketMessage.connected) this.#stage = 'handshake';
		if (this.#paused && (message === SocketMessage.readable || message < 0)) {
			// Hold it: the bytes stay in the socket until the queue has room.
			if (message < 0) this.#held = message;
			return;
		}
		this.#pacer?.callback(message, value);
	}

	#resume(): void {
		const raw = this.#raw;
		if (this.#closed || this.#paused || !raw) return;
		const waiting = raw.read();
		if (waiting > 0) this.#pacer?.callback(SocketMessage.readable, waiting);
		if (this.#closed || this.#paused) return;
		const held = this.#held;
		this.#held = undefined;
		if (held !== undefined) this.#pacer?.callback(held);
	}

	#onSecure(message: number, value: number): void {
		if (this.#closed) return;
		const callbacks = this.#options;
		switch (message) {
			case SocketMessage.connected:
				this.#stage = 'open';
				callbacks.onConnect?.();
				if (this.#closed) return;
				this.#flush();
				if (!this.#closed) callbacks.onWritable?.(this.#room());
				return;
			case SocketMessage.readable: {
				const bytes = this.#secure?.read(ArrayBuffer);
				if (!bytes || bytes.byteLength === 0) return;
				this.#queue.push(bytes);
				if (this.#highWater !== undefined && this.#queue.size >= this.#highWater) this.#paused = true;
				callbacks.onReadable(this.#queue.size);
				return;
			}
			case SocketMessage.writable:
				this.#flush();
				if (!this.#closed && this.#pending.length === 0) callbacks.onWritable?.(value);
				return;
			default:
				if (message === SocketMessage.disconnected && this.#stage === 'open') {
					// SecureSocket closes itself after this message; what was received stays readable.
					this.#secure = undefined;
					this.#raw = undefined;
					this.#paused = false;
					callbacks.onEnd?.();
					return;
				}
				this.#fail(describeFailure(this.#stage, message, callbacks.host, callbacks.port));
		}
	}

	/** Send what SecureSocket can take now; the rest waits for its next writable message. */
	#flush(): void {
		const secure = this.#secure;
		if (!secure) return;
		while (this.#pending.length) {
			const room = this.#room();
			if (room <= 0) return;
			const head = this.#pending[0];
			const size = Math.min(room, head.byteLength, MAX_WRITE);
			secure.write(head.subarray(0, size));
			if (size === head.byteLength) this.#pending.shift();
			else this.#pending[0] = head.subarray(size);
		}
	}

	#room(): number {
		return this.#secure?.write() ?? 0;
	}

	#fail(message: string): void {
		if (this.#closed) return;
		const onError = this.#options.onError;
		this.close();
		onError(message);
	}

	#failLater(message: string): void {
		this.#defer(() => this.#fail(message));
	}
}

/**
 * The TCP socket handed to SecureSocket (its `sock` option): reports nothing to read while the
 * queue is full, so that SecureSocket stops pulling bytes; SecureSocket sets `callback` on it.
 */
class PacedSocket {
	#raw: RawSocket;
	#paused: () => boolean;
	#defer: (callback: () => void) => void;
	callback: Callback = () => {};

	constructor(raw: RawSocket, paused: () => boolean, defer: (callback: () => void) => void) {
		this.#raw = raw;
		this.#paused = paused;
		this.#defer = defer;
	}

	read(type?: ArrayBufferConstructor, count?: number): number | ArrayBuffer {
		if (type === undefined) return this.#paused() ? 0 : this.#raw.read();
		return this.#raw.read(type, count);
	}

	write(...data: ArrayBuffer[]): number | void {
		if (data.length === 0) return this.#raw.write();
		this.#raw.write(...data);
	}

	close(): void {
		// Moddable's desktop socket uses itself again after the callback in which it was closed
		// returns (socketReadable frees it, then looks it up); SecureSocket closes it from inside
		// that callback. Closing on a later turn, with this closure keeping it referenced until
		// then, avoids the crash. Elsewhere it only closes a moment later.
		const raw = this.#raw;
		this.#defer(() => {
			try {
				raw.close();
			} catch {
				// already closed by the peer's disconnect
			}
		});
	}
}
