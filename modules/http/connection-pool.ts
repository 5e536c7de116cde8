/*
 * Connections kept open between the requests of one agent step, so that a check-in and the
 * image download it leads to, or a trial check-in and the report after it, share one TLS
 * handshake. On a device a handshake (even a resumed one) costs more time and power than the
 * request it carries.
 *
 * A Connection owns a host socket whose callbacks go to whichever exchange uses it now; between
 * exchanges it waits in the pool, which keeps at most one per host and port. An idle connection
 * that hears anything (bytes, the end, an error) is closed and forgotten: the server dropped it
 * or broke HTTP. The pool closes what it holds after `idleMs` (default 2 s) without use, and
 * when its owner closes it at the end of a step, so nothing stays open between scheduled checks.
 */
import type { ClockPort, NetworkPort, Socket, SocketCallbacks } from '../ports';

export const DEFAULT_POOL_IDLE_MS = 2000;

/** A socket whose callbacks can be handed from one exchange to the next. */
export class Connection {
	readonly host: string;
	readonly port: number;
	readonly socket: Socket;
	/** How many exchanges have used it; more than one means it came from the pool. */
	uses = 1;
	#handler: SocketCallbacks | undefined;
	#closed = false;
	#onIdleEvent: (() => void) | undefined;

	constructor(network: NetworkPort, host: string, port: number, handler: SocketCallbacks) {
		this.host = host;
		this.port = port;
		this.#handler = handler;
		this.socket = network.connect({
			host,
			port,
			onConnect: () => this.#handler?.onConnect?.(),
			onReadable: (count) => (this.#handler ? this.#handler.onReadable(count) : this.#idleEvent()),
			onWritable: (count) => this.#handler?.onWritable?.(count),
			onEnd: () => (this.#handler ? this.#handler.onEnd?.() : this.#idleEvent()),
			onError: (message) => {
				if (this.#handler) this.#handler.onError(message);
				else this.#idleEvent();
			},
		});
	}

	get closed(): boolean {
		return this.#closed;
	}

	/** Give the connection to the next exchange. */
	attach(handler: SocketCallbacks): void {
		this.uses++;
		this.#handler = handler;
	}

	/** Take it from its exchange, to wait in the pool; `onEvent` hears anything that happens meanwhile. */
	detach(onEvent: () => void): void {
		this.#handler = undefined;
		this.#onIdleEvent = onEvent;
	}

	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#handler = undefined;
		try {
			this.socket.close();
		} catch {
			// Closing is best effort; the connection is gone either way.
		}
	}

	#idleEvent(): void {
		this.#onIdleEvent?.();
	}
}

export class ConnectionPool {
	#clock: ClockPort;
	#idleMs: number;
	#idle = new Map<string, { connection: Connection; timer: number }>();

	constructor(clock: ClockPort, idleMs = DEFAULT_POOL_IDLE_MS) {
		this.#clock = clock;
		this.#idleMs = idleMs;
	}

	/** An idle connection to host:port, now the caller's; undefined when there is none. */
	take(host: string, port: number): Connection | undefined {
		const key = `${host}:${port}`;
		const entry = this.#idle.get(key);
		if (!entry) return undefined;
		this.#idle.delete(key);
		this.#clock.clearTimer(entry.timer);
		return entry.connection.closed ? undefined : entry.connection;
	}

	/** Keep a connection whose exchange ended cleanly; one already waiting for the same place is closed. */
	put(connection: Connection): void {
		if (connection.closed) return;
		const key = `${connection.host}:${connection.port}`;
		this.#drop(key);
		const timer = this.#clock.setTimer(() => {
			if (this.#idle.get(key)?.connection === connection) this.#drop(key);
		}, this.#idleMs);
		this.#idle.set(key, { connection, timer });
		connection.detach(() => {
			if (this.#idle.get(key)?.connection === connection) this.#drop(key);
			else connection.close();
		});
	}

	/** Connections waiting now. */
	get size(): number {
		return this.#idle.size;
	}

	/** Close every idle connection. The pool can still be used afterwards. */
	close(): void {
		for (const key of [...this.#idle.keys()]) this.#drop(key);
	}

	#drop(key: string): void {
		const entry = this.#idle.get(key);
		if (!entry) return;
		this.#idle.delete(key);
		this.#clock.clearTimer(entry.timer);
		entry.connection.close();
	}
}
