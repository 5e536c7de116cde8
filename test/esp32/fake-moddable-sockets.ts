/*
 * Stand-ins for Moddable's TCP Socket (with lwip's behaviour on ESP32: bytes not read stay in the
 * socket, and it reports more only when asked) and SecureSocket (plaintext "records" of a fixed
 * size in place of TLS, handed out in slices of at most 1024 bytes inside its callback, gone once
 * the callback returns; write() refusing more than the room), as far as the TLS adapter relies on
 * them. Every instance is recorded, so a test can drive the network side.
 */
import type { RawSocket, SecureSocketInstance } from '../../hosts/esp32/tls-network';

export class FakeRawSocket implements RawSocket {
	static instances: FakeRawSocket[] = [];
	readonly host: string;
	readonly port: number;
	incoming: number[] = [];
	sent: number[] = [];
	room = 1460;
	closed = false;
	callback: (message: number, value?: number) => void = () => {};

	constructor(dictionary: { host: string; port: number }) {
		this.host = dictionary.host;
		this.port = dictionary.port;
		FakeRawSocket.instances.push(this);
	}

	read(): number;
	read(type: ArrayBufferConstructor, count?: number): ArrayBuffer;
	read(type?: ArrayBufferConstructor, count?: number): number | ArrayBuffer {
		if (this.closed) throw new Error('read on closed socket');
		if (type === undefined) return this.incoming.length;
		const taken = this.incoming.splice(0, Math.min(count ?? this.incoming.length, this.incoming.length));
		return Uint8Array.from(taken).buffer;
	}

	write(): number;
	write(...data: ArrayBuffer[]): void;
	write(...data: ArrayBuffer[]): number | void {
		if (data.length === 0) return this.room;
		for (const d of data) this.sent.push(...new Uint8Array(d));
	}

	close(): void {
		this.closed = true;
	}

	// The network's side.
	connect(): void {
		this.callback(1);
	}

	receive(bytes: number[]): void {
		this.incoming.push(...bytes);
		this.callback(2, this.incoming.length);
	}

	drop(message: -1 | -2): void {
		this.callback(message);
	}
}

export interface FakeSecureOptions {
	/** Plaintext bytes per record. */
	record?: number;
	/** The handshake fails: the server's certificate is refused. */
	refuse?: boolean;
}

export class FakeSecureSocket implements SecureSocketInstance {
	static instances: FakeSecureSocket[] = [];
	static options: FakeSecureOptions = {};
	readonly host: string;
	readonly secure: Record<string, unknown>;
	sock: { callback: (message: number, value?: number) => void; read(type?: ArrayBufferConstructor, count?: number): unknown; write(...data: unknown[]): unknown; close(): void } | undefined;
	#data: Uint8Array | undefined;
	#handshaking = true;
	#closing = false;
	callback: (message: number, value?: number) => void = () => {};

	constructor(dictionary: { host: string; port: number; sock: object; secure: Record<string, unknown> }) {
		this.host = dictionary.host;
		this.secure = dictionary.secure;
		this.sock = dictionary.sock as FakeSecureSocket['sock'];
		FakeSecureSocket.instances.push(this);
		this.sock!.callback = (message, value) => this.#onRaw(message, value ?? 0);
	}

	#onRaw(message: number, value: number): void {
		if (this.#closing) return;
		if (message === 1) {
			if (FakeSecureSocket.options.refuse) {
				this.#closing = true;
				this.callback(-2);
				this.close();
				return;
			}
			this.#handshaking = false;
			this.callback(1);
		} else if (message === 2) {
			do {
				this.#deliver();
				if (this.#closing) return;
				value = this.sock?.read() as number;
			} while (value && !this.#closing);
		} else if (message === 3) {
			if (value > 128) this.callback(3, value - 128);
		} else {
			this.#closing = true;
			this.callback(message);
			this.close();
		}
	}

	/** Decode one record (what the socket reports it has, up to a record) and hand it out. */
	#deliver(): void {
		const available = this.sock?.read() as number;
		if (!available) return;
		const record = new Uint8Array(this.sock!.read(ArrayBuffer, Math.min(available, FakeSecureSocket.options.record ?? 2000)) as ArrayBuffer);
		for (let at = 0; at < record.length && !this.#closing; at += 1024) {
			this.#data = record.subarray(at, Math.min(record.length, at + 1024));
			this.callback(2, this.#data.length);
		}
		this.#data = undefined;
	}

	read(): number;
	read(type: ArrayBufferConstructor, count?: number): ArrayBuffer;
	read(type?: ArrayBufferConstructor, count?: number): number | ArrayBuffer {
		const data = this.#data ?? new Uint8Array(0);
		if (type === undefined) return data.length;
		const n = Math.min(count ?? data.length, data.length);
		const out = data.slice(0, n);
		this.#data = data.subarray(n);
		return out.buffer;
	}

	write(): number;
	write(...data: Uint8Array[]): void;
	write(...data: Uint8Array[]): number | void {
		const available = Math.max(0, (this.sock?.write() as number) - 128);
		if (data.length === 0) return available;
		if (this.#handshaking) throw new Error('write before the handshake');
		const size = data.reduce((n, d) => n + d.byteLength, 0);
		if (size > available) throw new Error("can't write all data");
		for (const d of data) this.sock?.write(d.slice().buffer);
	}

	close(): void {
		this.#closing = true;
		this.sock?.close();
		this.sock = undefined;
	}
}

export function resetFakes(options: FakeSecureOptions = {}): void {
	FakeRawSocket.instances = [];
	FakeSecureSocket.instances = [];
	FakeSecureSocket.options = options;
}
