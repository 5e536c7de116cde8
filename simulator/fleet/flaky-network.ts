/*
 * A network adapter that fails now and then, for the devices of a fleet that were given faults:
 * some connections are refused before they open, others are cut after a random number of bytes
 * (in the middle of a check-in answer or of an image). Each connection draws its fate from the
 * device's seeded random source, so a run with the same seed fails the same way.
 *
 * The agent has to ride these out with its retries and resumable downloads; a device whose
 * retries run out reports the failure (CONNECTION_LOST, which the cloud's auto-halt does not
 * count) and gets another chance at its next check.
 */
import type { NetworkPort, Socket, SocketOptions, ByteSource } from '../../modules/ports';

export interface FlakyOptions {
	/** Chance (0-1) that a connection is refused. */
	refuse: number;
	/** Chance (0-1) that a connection is cut after a random number of received bytes. */
	cut: number;
	/** The cut falls somewhere in the first this many bytes; default 16 KiB. */
	cutWithin?: number;
	/** Uniform in [0, 1), seeded per device. */
	random: () => number;
}

/** Faults injected so far, by kind. */
export interface FlakyCounts {
	refused: number;
	cut: number;
}

export function checkFlakyOptions(options: FlakyOptions): FlakyOptions {
	for (const name of ['refuse', 'cut'] as const) {
		const p = options[name];
		if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability from 0 to 1, not ${String(p)}`);
	}
	if (options.refuse + options.cut > 1) throw new RangeError('refuse + cut must not exceed 1');
	const within = options.cutWithin ?? 16 * 1024;
	if (!Number.isSafeInteger(within) || within < 1) throw new RangeError(`cutWithin must be a positive number of bytes, not ${within}`);
	if (typeof options.random !== 'function') throw new TypeError('random must be a function returning [0, 1)');
	return options;
}

export function flakyNetwork(inner: NetworkPort, options: FlakyOptions, counts: FlakyCounts = { refused: 0, cut: 0 }): NetworkPort {
	checkFlakyOptions(options);
	const within = options.cutWithin ?? 16 * 1024;
	return {
		connect(socketOptions: SocketOptions): Socket {
			const draw = options.random();
			if (draw < options.refuse) {
				counts.refused++;
				return refusedSocket(socketOptions);
			}
			if (draw < options.refuse + options.cut) {
				counts.cut++;
				return new CutSocket(inner, socketOptions, Math.floor(options.random() * within));
			}
			return inner.connect(socketOptions);
		},
	};
}

/** A connection that never opens: the error comes after connect() returns, as the port requires. */
function refusedSocket(options: SocketOptions): Socket {
	let closed = false;
	setImmediate(() => {
		if (!closed) options.onError(`connect to ${options.host}:${options.port} refused (simulated network fault)`);
	});
	return {
		read: () => undefined,
		write() {
			if (closed) throw new Error('socket is closed');
		},
		close() {
			closed = true;
		},
	};
}

/** A connection that breaks once `budget` bytes have been received. */
class CutSocket implements Socket {
	#inner: Socket;
	#callbacks: SocketOptions;
	#budget: number;
	#received = 0;
	#closed = false;
	#broken = false;

	constructor(network: NetworkPort, options: SocketOptions, budget: number) {
		this.#callbacks = options;
		this.#budget = budget;
		this.#inner = network.connect({
			host: options.host,
			port: options.port,
			onConnect: () => this.#live() && options.onConnect?.(),
			onReadable: (count) => {
				if (!this.#live()) return;
				const left = this.#budget - this.#received;
				if (left > 0) options.onReadable(Math.min(count, left));
				else setImmediate(() => this.#break());
			},
			onWritable: (count) => this.#live() && options.onWritable?.(count),
			onEnd: () => this.#live() && options.onEnd?.(),
			onError: (message) => this.#live() && options.onError(message),
		});
	}

	read(maxBytes?: number): ArrayBuffer | undefined {
		if (!this.#live()) return undefined;
		const left = this.#budget - this.#received;
		if (left <= 0) {
			this.#break();
			return undefined;
		}
		const bytes = this.#inner.read(Math.min(maxBytes ?? left, left));
		if (bytes) {
			this.#received += bytes.byteLength;
			if (this.#received >= this.#budget) setImmediate(() => this.#break());
		}
		return bytes;
	}

	write(bytes: ByteSource): void {
		if (this.#closed) throw new Error('socket is closed');
		if (!this.#broken) this.#inner.write(bytes);
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#inner.close();
	}

	#live(): boolean {
		return !this.#closed && !this.#broken;
	}

	#break(): void {
		if (!this.#live()) return;
		this.#broken = true;
		this.#inner.close();
		this.#callbacks.onError(`connection reset after ${this.#received} bytes (simulated network fault)`);
	}
}
