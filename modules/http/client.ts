/*
 * The agent's HTTPS client over the host's NetworkPort, with timers from its ClockPort. One
 * request per connection (Connection: close), unless the caller gives a ConnectionPool: then a
 * response that ends cleanly leaves its connection there for the next request to the same place
 * (connection-pool.ts), and a request sent on such a connection that breaks before any byte of
 * the answer is sent once more on a new one (the server closed the idle connection meanwhile).
 *
 * The body is a pull stream. Once the head has arrived the client reads from the socket only
 * while a read() is waiting, at most `readSize` bytes at a time, so the bytes held here never
 * exceed one read and a consumer that pauses (say, to write flash) makes the host stop pulling
 * from the network. Body chunks are views into the buffers the socket's read() handed over,
 * which nothing else keeps, so they reach the consumer without a copy (several small pieces of
 * a chunked body read together are joined into one array).
 *
 * Timers: `timeout` bounds everything up to the complete response head (connect, TLS, sending,
 * the server's think time); `idleTimeout` bounds each wait for body bytes while a read() is
 * pending. No timer runs while the consumer is not reading.
 *
 * Every failure, whatever its source, rejects the pending promise with an HttpError, closes the
 * socket and clears the timers; from then on no socket callback is acted on.
 */
import type { ClockPort, NetworkPort, Socket, SocketCallbacks } from '../ports';
import { Connection, type ConnectionPool } from './connection-pool';
import { ResponseParser, HttpError, DEFAULT_MAX_HEADER_BYTES, type ResponseHead } from './response-parser';
import { serializeRequest } from './request';
import { parseHttpsUrl } from './url';
import { concatBytes, utf8Decode } from '../bytes';

export { HttpError, type HttpErrorCode } from './response-parser';

export interface HttpRequestOptions {
	/** An https URL; see parseHttpsUrl. */
	url: string;
	method: string;
	headers?: Record<string, string>;
	body?: Uint8Array;
	/** Milliseconds from the call until the whole response head has arrived. Default 30 s. */
	timeout?: number;
	/** Milliseconds a pending read() may wait without any byte arriving. Default 60 s. */
	idleTimeout?: number;
	/** Largest response head accepted. Default 8192. */
	maxHeaderBytes?: number;
	/** Most bytes one read() returns, and one socket read takes. Default 4096. */
	readSize?: number;
	/**
	 * Keep the connection for the next request to the same place: take an idle one from here,
	 * and put this one back when its response ended cleanly. Without a pool: Connection: close.
	 */
	pool?: ConnectionPool;
}

export interface HttpResponse {
	status: number;
	/** Lowercase names; repeated fields joined with ', '. */
	headers: Record<string, string>;
	/** The next body chunk (a Uint8Array the caller may keep), or undefined after the last one. */
	read(): Promise<Uint8Array | undefined>;
	/** The whole body as UTF-8 text; fails with BODY_TOO_LARGE past `limit` bytes (default 64 KiB). */
	text(limit?: number): Promise<string>;
	/** The whole body parsed as JSON; fails with BAD_JSON when it is not. */
	json(limit?: number): Promise<unknown>;
	/** Stop: close the connection. Idempotent; needed only when the body is not read to its end. */
	close(): void;
}

export const DEFAULT_TIMEOUT = 30_000;
export const DEFAULT_IDLE_TIMEOUT = 60_000;
export const DEFAULT_READ_SIZE = 4096;
export const DEFAULT_TEXT_LIMIT = 64 * 1024;
const MAX_READ_SIZE = 1024 * 1024;

/** Socket errors before the connection is up that name TLS are reported as code 'TLS'. */
const TLS_FAILURE = /certificate|tls|ssl|handshake/i;

/**
 * Send one request and resolve with the response once its head has arrived.
 * Invalid options reject with an Error before anything is sent; network and protocol failures
 * reject with an HttpError.
 */
export function httpRequest(network: NetworkPort, clock: ClockPort, options: HttpRequestOptions): Promise<HttpResponse> {
	let exchange: Exchange;
	try {
		exchange = new Exchange(network, clock, options);
	} catch (error) {
		return Promise.reject(error);
	}
	return exchange.start();
}

interface Waiter<T> {
	resolve(value: T): void;
	reject(error: unknown): void;
}

class Exchange {
	#network: NetworkPort;
	#clock: ClockPort;
	#host: string;
	#port: number;
	#request: Uint8Array;
	#timeout: number;
	#idleTimeout: number;
	#readSize: number;
	#parser: ResponseParser;
	#pool: ConnectionPool | undefined;

	#connection: Connection | undefined;
	/** Bytes of the response have arrived (a reused connection that fails before that is retried). */
	#answered = false;
	#retried = false;
	#connected = false;
	#ended = false;
	#written = 0;
	/** Bytes the host said it can take now; undefined until it says anything. */
	#writable: number | undefined;
	#headTimer: number | undefined;
	#idleTimer: number | undefined;

	#head: ResponseHead | undefined;
	#headWaiter: Waiter<HttpResponse> | undefined;
	#readWaiter: Waiter<Uint8Array | undefined> | undefined;
	/** Body bytes parsed but not yet read; together at most one socket read. */
	#queued: Uint8Array[] = [];
	#complete = false;
	#error: HttpError | undefined;
	/** The socket is closed and the timers cleared; callbacks are ignored from now on. */
	#released = false;
	#pumping = false;
	#closedByCaller = false;
	/** close() came after the whole body had been read: later reads just see the end. */
	#closedAtEnd = false;

	constructor(network: NetworkPort, clock: ClockPort, options: HttpRequestOptions) {
		if (options === null || typeof options !== 'object') throw new TypeError('httpRequest: options must be an object');
		const target = parseHttpsUrl(options.url);
		this.#pool = options.pool;
		this.#request = serializeRequest({ method: options.method, host: target.host, port: target.port, path: target.path, headers: options.headers, body: options.body, keepAlive: this.#pool !== undefined });
		this.#network = network;
		this.#clock = clock;
		this.#host = target.host;
		this.#port = target.port;
		this.#timeout = checkDuration('timeout', options.timeout, DEFAULT_TIMEOUT);
		this.#idleTimeout = checkDuration('idleTimeout', options.idleTimeout, DEFAULT_IDLE_TIMEOUT);
		this.#readSize = checkInteger('readSize', options.readSize, DEFAULT_READ_SIZE, 1, MAX_READ_SIZE);
		const maxHeaderBytes = checkInteger('maxHeaderBytes', options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES, 64, MAX_READ_SIZE);
		this.#parser = new ResponseParser({
			onHead: (head) => {
				this.#head = head;
			},
			// The input is a buffer fresh from socket.read() that nothing else holds: keep the view.
			onBody: (bytes) => {
				this.#queued.push(bytes);
			},
			onComplete: () => {
				this.#complete = true;
			},
		}, { maxHeaderBytes, method: options.method });
	}

	start(): Promise<HttpResponse> {
		return new Promise<HttpResponse>((resolve, reject) => {
			this.#headWaiter = { resolve, reject };
			this.#headTimer = this.#clock.setTimer(() => {
				this.#headTimer = undefined;
				this.#fail(new HttpError('TIMEOUT', `no response head from ${this.#where()} within ${this.#timeout} ms`));
			}, this.#timeout);
			const reused = this.#pool?.take(this.#host, this.#port);
			if (reused) {
				// Already connected: send at once.
				reused.attach(this.#handler());
				this.#connection = reused;
				this.#connected = true;
				this.#flush();
				return;
			}
			this.#open();
		});
	}

	/** Callbacks for this exchange's connection. */
	#handler(): SocketCallbacks {
		return {
			onConnect: () => this.#onConnect(),
			onReadable: () => this.#onReadable(),
			onWritable: (count) => this.#onWritable(count),
			onEnd: () => this.#onEnd(),
			onError: (message) => this.#onError(message),
		};
	}

	/** Dial a new connection. */
	#open(): void {
		let connection: Connection;
		try {
			connection = new Connection(this.#network, this.#host, this.#port, this.#handler());
		} catch (error) {
			this.#fail(new HttpError('CONNECT_FAILED', `cannot connect to ${this.#where()}: ${describe(error)}`));
			return;
		}
		this.#connection = connection;
		// A host that failed the connection from inside connect() could not be closed then.
		if (this.#released) connection.close();
	}

	/**
	 * A connection taken from the pool broke before any byte of the answer: the server had
	 * closed it while it waited. Send the request again, once, on a new connection.
	 */
	#retryOnNewConnection(): boolean {
		const connection = this.#connection;
		if (!connection || connection.uses < 2 || this.#answered || this.#retried || this.#released) return false;
		this.#retried = true;
		connection.close();
		this.#connection = undefined;
		this.#connected = false;
		this.#ended = false;
		this.#written = 0;
		this.#writable = undefined;
		this.#open();
		return true;
	}

	get #socket(): Socket | undefined {
		return this.#connection?.socket;
	}

	#onConnect(): void {
		if (this.#released) return;
		this.#connected = true;
		// A host that reports write capacity does so right after onConnect; wait for that turn to
		// end so the first write can keep to it. Without a report the request is sent whole.
		void Promise.resolve().then(() => this.#flush());
	}

	#onWritable(count: number): void {
		if (this.#released) return;
		this.#connected = true;
		this.#writable = count;
		this.#flush();
	}

	#onReadable(): void {
		if (this.#released) return;
		this.#connected = true;
		this.#flush();
		this.#pump();
	}

	#onEnd(): void {
		if (this.#released) return;
		if (this.#retryOnNewConnection()) return;
		this.#ended = true;
		this.#pump();
	}

	#onError(message: string): void {
		if (this.#released) return;
		if (this.#retryOnNewConnection()) return;
		if (this.#connected) this.#fail(new HttpError('CONNECTION_CLOSED', `connection to ${this.#where()} broke: ${message}`));
		else if (TLS_FAILURE.test(message)) this.#fail(new HttpError('TLS', `TLS connection to ${this.#where()} failed: ${message}`));
		else this.#fail(new HttpError('CONNECT_FAILED', `cannot connect to ${this.#where()}: ${message}`));
	}

	/** Send what the host will take of the request. */
	#flush(): void {
		const socket = this.#socket;
		if (!socket || this.#released) return;
		while (this.#written < this.#request.length) {
			let n = this.#request.length - this.#written;
			if (this.#writable !== undefined) n = Math.min(n, this.#writable);
			if (n <= 0) return;
			// Account before writing, in case the host reports onWritable from inside write().
			const piece = this.#request.subarray(this.#written, this.#written + n);
			this.#written += n;
			if (this.#writable !== undefined) this.#writable -= n;
			try {
				socket.write(piece);
			} catch (error) {
				if (this.#retryOnNewConnection()) return;
				this.#fail(new HttpError('CONNECTION_CLOSED', `sending the request to ${this.#where()} failed: ${describe(error)}`));
				return;
			}
		}
	}

	/** Read and parse while someone wants bytes: the head phase, or a waiting read(). */
	#pump(): void {
		const socket = this.#socket;
		if (!socket || this.#released || this.#pumping) return;
		this.#pumping = true;
		try {
			while (!this.#complete && (this.#head === undefined || (this.#readWaiter !== undefined && this.#queued.length === 0))) {
				const buffer = socket.read(this.#readSize);
				if (buffer === undefined || buffer.byteLength === 0) {
					if (this.#ended) this.#parser.finish();
					break;
				}
				this.#stopIdleTimer();
				this.#answered = true;
				this.#parser.execute(new Uint8Array(buffer));
			}
		} catch (error) {
			this.#pumping = false;
			this.#fail(error instanceof HttpError ? error : new HttpError('CONNECTION_CLOSED', `reading from ${this.#where()} failed: ${describe(error)}`));
			return;
		}
		this.#pumping = false;
		if (this.#complete) this.#release();
		this.#deliver();
	}

	/** Settle whatever promise can be settled now. */
	#deliver(): void {
		const headWaiter = this.#headWaiter;
		if (headWaiter) {
			if (this.#head) {
				this.#headWaiter = undefined;
				if (this.#headTimer !== undefined) this.#clock.clearTimer(this.#headTimer);
				this.#headTimer = undefined;
				headWaiter.resolve(this.#response(this.#head));
			} else if (this.#error) {
				this.#headWaiter = undefined;
				headWaiter.reject(this.#error);
			}
			return;
		}
		const waiter = this.#readWaiter;
		if (!waiter) return;
		if (this.#queued.length > 0) {
			this.#readWaiter = undefined;
			waiter.resolve(this.#take());
		} else if (this.#error) {
			this.#readWaiter = undefined;
			waiter.reject(this.#error);
		} else if (this.#complete) {
			this.#readWaiter = undefined;
			waiter.resolve(undefined);
		} else if (this.#idleTimer === undefined && !this.#released) {
			this.#idleTimer = this.#clock.setTimer(() => {
				this.#idleTimer = undefined;
				this.#fail(new HttpError('IDLE_TIMEOUT', `no body bytes from ${this.#where()} for ${this.#idleTimeout} ms`));
			}, this.#idleTimeout);
		}
	}

	#take(): Uint8Array {
		const queued = this.#queued;
		this.#queued = [];
		return queued.length === 1 ? queued[0] : concatBytes(queued);
	}

	#read(): Promise<Uint8Array | undefined> {
		if (this.#readWaiter) return Promise.reject(new Error('read() called while another read() is pending'));
		if (this.#closedByCaller) {
			return this.#closedAtEnd
				? Promise.resolve(undefined)
				: Promise.reject(new HttpError('ABORTED', 'the response was closed before its end'));
		}
		if (this.#queued.length > 0) return Promise.resolve(this.#take());
		if (this.#error) return Promise.reject(this.#error);
		if (this.#complete) return Promise.resolve(undefined);
		return new Promise((resolve, reject) => {
			this.#readWaiter = { resolve, reject };
			this.#pump();
		});
	}

	async #text(limit: number = DEFAULT_TEXT_LIMIT): Promise<string> {
		if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`text(): limit must be a non-negative integer, got ${limit}`);
		const parts: Uint8Array[] = [];
		let total = 0;
		for (let chunk = await this.#read(); chunk; chunk = await this.#read()) {
			total += chunk.length;
			if (total > limit) {
				this.#close();
				throw new HttpError('BODY_TOO_LARGE', `response body from ${this.#where()} is larger than ${limit} bytes`);
			}
			parts.push(chunk);
		}
		return utf8Decode(parts.length === 1 ? parts[0] : concatBytes(parts));
	}

	async #json(limit?: number): Promise<unknown> {
		let text = await this.#text(limit);
		if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM may be ignored (RFC 8259)
		try {
			return JSON.parse(text);
		} catch (error) {
			throw new HttpError('BAD_JSON', `response body from ${this.#where()} is not JSON: ${describe(error)}`);
		}
	}

	#close(): void {
		if (this.#closedByCaller) return;
		this.#closedByCaller = true;
		this.#closedAtEnd = this.#complete && this.#queued.length === 0;
		this.#release();
		this.#queued = [];
		const waiter = this.#readWaiter;
		if (waiter) {
			this.#readWaiter = undefined;
			waiter.reject(new HttpError('ABORTED', 'the response was closed while a read() was pending'));
		}
	}

	#response(head: ResponseHead): HttpResponse {
		return {
			status: head.status,
			headers: head.headers,
			read: () => this.#read(),
			text: (limit) => this.#text(limit),
			json: (limit) => this.#json(limit),
			close: () => this.#close(),
		};
	}

	#fail(error: HttpError): void {
		if (this.#error || this.#released) return;
		this.#error = error;
		this.#release();
		this.#deliver();
	}

	/** Close the socket and clear the timers, once. */
	#release(): void {
		if (this.#released) return;
		this.#released = true;
		if (this.#headTimer !== undefined) this.#clock.clearTimer(this.#headTimer);
		this.#headTimer = undefined;
		this.#stopIdleTimer();
		const connection = this.#connection;
		if (!connection) return;
		// A clean end of a response the server will follow with another: the connection waits
		// for the next request. Anything else closes it.
		if (this.#pool && !this.#error && this.#parser.persistent && !this.#ended) this.#pool.put(connection);
		else connection.close();
	}

	#stopIdleTimer(): void {
		if (this.#idleTimer !== undefined) this.#clock.clearTimer(this.#idleTimer);
		this.#idleTimer = undefined;
	}

	#where(): string {
		return this.#host.includes(':') ? `[${this.#host}]:${this.#port}` : `${this.#host}:${this.#port}`;
	}
}

function checkDuration(name: string, value: number | undefined, fallback: number): number {
	if (value === undefined) return fallback;
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`httpRequest: ${name} must be a positive number of milliseconds, got ${value}`);
	return value;
}

function checkInteger(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
	if (value === undefined) return fallback;
	if (!Number.isSafeInteger(value) || value < min || value > max) throw new RangeError(`httpRequest: ${name} must be an integer from ${min} to ${max}, got ${value}`);
	return value;
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
