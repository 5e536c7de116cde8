/*
 * A scripted NetworkPort for HTTP client tests. Each connection plays one server: it connects (or
 * fails), waits for the whole request (head, and body by its Content-Length), then delivers the scripted response in pieces of
 * random size into a small host buffer, announcing each with onReadable, the way a device socket
 * does. Delivery stops while the buffer holds `highWater` bytes, so the counters show how far the
 * client pulled ahead of its consumer. Events are delivered from setImmediate, never from inside
 * a call the client made, and never after close().
 */
import type { NetworkPort, Socket, SocketOptions, ByteSource } from '../../modules/ports';

export interface ServerScript {
	/** What the server sends once the request has started to arrive. */
	response?: Uint8Array | string;
	/** After the response: 'end' (the peer closes), 'hang' (silence), or an error from the host. */
	after?: 'end' | 'hang' | { error: string };
	/** Instead of connecting: fail with this message, or never answer at all ('hang'). */
	connect?: 'ok' | 'hang' | { error: string };
	/** Largest piece delivered at once (pieces are 1..maxPiece bytes, at random). Default 64. */
	maxPiece?: number;
	/** Bytes the host buffers before it stops taking from the network. Default 4096. */
	highWater?: number;
	/** When set, the host reports onWritable(writable) and expects writes to keep to it. */
	writable?: number;
	/** Seed of the piece sizes, so a failing split can be replayed. Default 1. */
	seed?: number;
}

export class FakeSocket implements Socket {
	readonly options: SocketOptions;
	/** Every write, as copies. */
	readonly writes: Uint8Array[] = [];
	/** Bytes handed to the client by read(). */
	pulled = 0;
	/** Bytes moved from the "network" into the host buffer. */
	delivered = 0;
	/** Largest number of bytes the host buffer held at once. */
	maxBuffered = 0;
	closed = false;
	/** Writes that went past the count announced with onWritable. */
	overruns = 0;
	/** Calls to read(), and how many asked for no limit. */
	reads = 0;
	unboundedReads = 0;

	#script: Required<Omit<ServerScript, 'writable'>> & { writable?: number };
	#response: Uint8Array;
	#sent = 0;
	#buffer: Uint8Array[] = [];
	#buffered = 0;
	#credit = Infinity;
	#connected = false;
	#requestDone = false;
	#finished = false;
	#scheduled = false;
	#random: () => number;

	constructor(options: SocketOptions, script: ServerScript) {
		this.options = options;
		this.#script = {
			response: script.response ?? new Uint8Array(0),
			after: script.after ?? 'end',
			connect: script.connect ?? 'ok',
			maxPiece: script.maxPiece ?? 64,
			highWater: script.highWater ?? 4096,
			seed: script.seed ?? 1,
			writable: script.writable,
		};
		this.#response = typeof this.#script.response === 'string' ? Buffer.from(this.#script.response, 'latin1') : this.#script.response;
		this.#random = mulberry32(this.#script.seed);
		this.#schedule();
	}

	/** Everything the client wrote, joined. */
	get written(): Buffer {
		return Buffer.concat(this.writes);
	}

	read(maxBytes?: number): ArrayBuffer | undefined {
		if (this.closed) throw new Error('read() after close()');
		this.reads++;
		if (maxBytes === undefined) this.unboundedReads++;
		if (this.#buffered === 0) return undefined;
		const want = Math.min(maxBytes ?? this.#buffered, this.#buffered);
		const out = new Uint8Array(want);
		let filled = 0;
		while (filled < want) {
			const head = this.#buffer[0];
			const take = Math.min(head.length, want - filled);
			out.set(head.subarray(0, take), filled);
			filled += take;
			if (take === head.length) this.#buffer.shift();
			else this.#buffer[0] = head.subarray(take);
		}
		this.#buffered -= want;
		this.pulled += want;
		this.#schedule();
		return out.buffer;
	}

	write(bytes: ByteSource): void {
		if (this.closed) throw new Error('write() after close()');
		if (!this.#connected) throw new Error('write() before the connection is up');
		const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
		if (view.length > this.#credit) this.overruns++;
		if (this.#script.writable !== undefined) this.#credit -= view.length;
		this.writes.push(view.slice());
		this.#requestDone ||= isCompleteRequest(this.written);
		this.#schedule();
	}

	close(): void {
		this.closed = true;
		this.#buffer = [];
		this.#buffered = 0;
	}

	#schedule(): void {
		if (this.#scheduled || this.closed) return;
		this.#scheduled = true;
		setImmediate(() => {
			this.#scheduled = false;
			if (!this.closed) this.#tick();
		});
	}

	/** One step of the server and the host: connect, refill write credit, or deliver a piece. */
	#tick(): void {
		const script = this.#script;
		const callbacks = this.options;
		if (!this.#connected) {
			if (script.connect === 'hang') return;
			if (script.connect !== 'ok') {
				this.#finished = true;
				callbacks.onError(script.connect.error);
				return;
			}
			this.#connected = true;
			callbacks.onConnect?.();
			if (!this.closed && script.writable !== undefined) {
				this.#credit = script.writable;
				callbacks.onWritable?.(script.writable);
			}
			this.#schedule();
			return;
		}
		if (script.writable !== undefined && this.#credit <= 0) {
			this.#credit = script.writable;
			callbacks.onWritable?.(script.writable);
			if (this.closed) return;
		}
		if (!this.#requestDone || this.#finished) return;
		if (this.#sent < this.#response.length) {
			const room = script.highWater - this.#buffered;
			if (room <= 0) return; // resumes when read() makes room
			const size = Math.min(1 + Math.floor(this.#random() * script.maxPiece), room, this.#response.length - this.#sent);
			this.#buffer.push(this.#response.subarray(this.#sent, this.#sent + size));
			this.#sent += size;
			this.#buffered += size;
			this.delivered += size;
			this.maxBuffered = Math.max(this.maxBuffered, this.#buffered);
			callbacks.onReadable(this.#buffered);
			this.#schedule();
			return;
		}
		this.#finished = true;
		if (script.after === 'end') callbacks.onEnd?.();
		else if (script.after !== 'hang') callbacks.onError(script.after.error);
	}
}

/** A NetworkPort whose n-th connection plays scripts[n] (the last script repeats). */
export class FakeNetwork implements NetworkPort {
	readonly sockets: FakeSocket[] = [];
	#scripts: ServerScript[];

	constructor(...scripts: ServerScript[]) {
		this.#scripts = scripts.length ? scripts : [{}];
	}

	connect(options: SocketOptions): Socket {
		const script = this.#scripts[Math.min(this.sockets.length, this.#scripts.length - 1)];
		const socket = new FakeSocket(options, script);
		this.sockets.push(socket);
		return socket;
	}

	/** The only connection made; fails the test helper's caller when there is not exactly one. */
	get socket(): FakeSocket {
		if (this.sockets.length !== 1) throw new Error(`expected one connection, got ${this.sockets.length}`);
		return this.sockets[0];
	}
}

/** Let pending setImmediate callbacks (the fake server's steps) run, `times` rounds. */
export async function settle(times = 20): Promise<void> {
	for (let i = 0; i < times; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** True once `bytes` hold a request head and as much body as its Content-Length says. */
function isCompleteRequest(bytes: Buffer): boolean {
	const end = bytes.indexOf('\r\n\r\n');
	if (end === -1) return false;
	const length = /\r\ncontent-length: *(\d+)/i.exec(bytes.subarray(0, end).toString('latin1'));
	return bytes.length >= end + 4 + (length ? Number(length[1]) : 0);
}

function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
