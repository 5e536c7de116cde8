/*
 * A driver for the `xsnap-worker` binary of @agoric/xsnap: Moddable's XS engine in a child
 * process, so the agent's portable code runs on the same engine as on the device. The package's
 * own JS driver needs SES `lockdown()` of the host (`@endo/init`), which freezes Node's intrinsics
 * and breaks the rest of the simulator, so this talks to the binary directly.
 *
 * Protocol (see @agoric/xsnap src/xsnap.js and xsnap-native/xsnap/sources/xsnap-worker.c):
 * - The worker reads netstrings on fd 3 and writes netstrings on fd 4; fd 1 carries `print`
 *   output, fd 2 its own diagnostics. Argument 1 is a name (ignored by the worker, visible in
 *   `ps`); `-l <n>` sets the computron limit per delivery (absent = unlimited).
 * - Host → worker: `e<source>` evaluates a script (indirect eval, global scope); `?<bytes>` calls
 *   `globalThis.handleCommand(ArrayBuffer)`, which the evaluated code must define; `R` pings;
 *   `q` quits. One delivery at a time: after each, the worker runs its promise jobs and
 *   `setImmediate` callbacks to quiescence, then answers:
 *   `.{meter JSON}\x01<reply>` on success — reply bytes only when the result (or its `result`
 *   property) is an ArrayBuffer — or `!<String(exception)>` when the script threw (XS sends the
 *   exception's string form only, no stack; the worker stays usable).
 * - Worker → host, during a delivery: `?<bytes>` is the worker calling the global
 *   `issueCommand(ArrayBuffer)`, which blocks until the host writes `/<reply bytes>`; the call
 *   returns that reply as an ArrayBuffer. Here the reply comes from the synchronous `onCommand`.
 * - Exit codes: 0 clean, 11 out of memory, 12 stack overflow, 15 after `q` when the last delivery
 *   threw (this driver sends a no-op evaluation first so a clean close reports 0), 17 too much
 *   computation (metering limit hit; the worker dies without answering).
 *
 * What the XS global scope offers and lacks (xsnap 0.15, XS 13.3): present are `print`
 * (a line on stdout), `issueCommand`, `setImmediate`, `performance.now`, `gc`, `harden`,
 * `TextEncoder`/`TextDecoder`, `Compartment`, `ModuleSource`; absent are `setTimeout`/
 * `setInterval`, `queueMicrotask`, `console`, `crypto`, `structuredClone`, `URL`, `Intl`, and
 * library features newer than ES2022 (`toSorted`, `Promise.withResolvers`, `Object.groupBy`, Set
 * methods, iterator helpers). `Math.random` is deterministic. `evaluate` takes a script, not a
 * module: bundle with `bundleForXs` (./bundle) first.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { NetstringDecoder, encodeNetstring } from './netstring';

/** Resource use of one delivery, as the worker reports it. */
export interface Meter {
	/** Computrons used by the delivery (counted even when no limit is set). */
	compute: number;
	/** Bytes of XS heap chunks allocated so far by the machine. */
	allocate: number;
	/** Live slots in the XS heap. */
	currentHeapCount?: number;
	/** Seconds since the epoch at the delivery's I/O points (receive, each issueCommand, reply). */
	timestamps?: number[];
	[key: string]: unknown;
}

export interface DeliveryResult {
	/** Bytes of an ArrayBuffer result (or of its `result` property); empty otherwise. */
	reply: Uint8Array;
	meter: Meter;
}

export interface XsWorkerOptions {
	/** Computrons allowed per delivery; 0 turns metering limits off. Default 1e8, as xsnap's. */
	meteringLimit?: number;
	/** Shown in errors and in the process list. */
	name?: string;
	/**
	 * Answers the worker's `issueCommand(ArrayBuffer)`. The worker is blocked meanwhile, so it
	 * must answer synchronously. If it throws (or is missing), the worker's `issueCommand` throws
	 * and the delivery in progress rejects with the host's error.
	 */
	onCommand?: (msg: Uint8Array) => Uint8Array | string;
	/** Receives each line the worker prints (without the newline). */
	stdout?: (line: string) => void;
	/** Receives each line of the worker's own diagnostics. */
	stderr?: (line: string) => void;
	/** Largest message accepted from the worker, in bytes. */
	maxMessageLength?: number;
}

/** Default computron limit per delivery, the same as @agoric/xsnap's. */
export const DEFAULT_METERING_LIMIT = 1e8;
/** The worker parses its limit with atoi(). */
const MAX_METERING_LIMIT = 2 ** 31 - 1;
/** The worker reads lengths with `%9lu`. */
const MAX_TO_WORKER = 999_999_999;

const EXIT_REASONS: Readonly<Record<number, string>> = {
	1: 'bad argument usage',
	2: 'I/O error',
	11: 'not enough memory',
	12: 'stack overflow',
	15: 'unhandled exception',
	16: 'property (key) name space exhausted',
	17: 'too much computation',
};

const OK = 0x2e; // '.'
const ERROR = 0x21; // '!'
const QUERY = 0x3f; // '?'
const METER_SEPARATOR = 0x01;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const noop = (): void => {};

/** An exception thrown by the code running in XS. */
export class XsError extends Error {
	/** The exception as XS renders it (`String(exception)`, e.g. `TypeError: boom`). */
	readonly xsMessage: string;
	constructor(workerName: string, xsMessage: string) {
		super(`uncaught exception in XS worker "${workerName}": ${xsMessage}`);
		this.name = 'XsError';
		this.xsMessage = xsMessage;
	}
}

/** The worker process is gone (or going): deliveries can no longer run. */
export class XsWorkerExitError extends Error {
	readonly code: number | null;
	readonly signal: string | null;
	constructor(message: string, code: number | null, signal: string | null) {
		super(message);
		this.name = 'XsWorkerExitError';
		this.code = code;
		this.signal = signal;
	}
}

/** Path of the xsnap-worker binary built by @agoric/xsnap's postinstall for this platform. */
export function xsnapWorkerPath(): string {
	const platform = ({ linux: 'lin', darwin: 'mac' } as Record<string, string>)[process.platform];
	if (!platform) throw new Error(`the XS worker (xsnap) does not support platform ${process.platform}`);
	const require = createRequire(import.meta.url);
	let packageDir: string;
	try {
		packageDir = dirname(require.resolve('@agoric/xsnap/package.json'));
	} catch {
		// If an export map ever hides package.json, the main entry lives in src/.
		packageDir = join(dirname(require.resolve('@agoric/xsnap')), '..');
	}
	const bin = join(packageDir, 'xsnap-native', 'xsnap', 'build', 'bin', platform, 'release', 'xsnap-worker');
	if (!existsSync(bin)) {
		throw new Error(`xsnap-worker binary not found at ${bin}: did the @agoric/xsnap postinstall build run?`);
	}
	return bin;
}

interface Pending {
	resolve(result: DeliveryResult): void;
	reject(error: Error): void;
	/** Set when onCommand failed during this delivery; wins over the worker's answer. */
	hostError?: Error;
}

/** Splits a text stream into lines for a callback. */
function lineSink(stream: Readable, onLine: ((line: string) => void) | undefined, keepTail?: (line: string) => void) {
	const text = new StringDecoder('utf8');
	let partial = '';
	const emit = (line: string) => {
		keepTail?.(line);
		onLine?.(line);
	};
	stream.on('data', (chunk: Buffer) => {
		const lines = (partial + text.write(chunk)).split('\n');
		partial = lines.pop()!;
		for (const line of lines) emit(line);
	});
	stream.on('end', () => {
		const rest = partial + text.end();
		if (rest !== '') emit(rest);
	});
	stream.on('error', noop);
}

export class XsWorker {
	readonly name: string;
	/** Settles when the process has exited and its pipes are closed; never rejects. */
	readonly exited: Promise<{ code: number | null; signal: string | null }>;

	readonly #child: ChildProcess;
	readonly #toWorker: Writable;
	readonly #onCommand: XsWorkerOptions['onCommand'];
	readonly #messages: NetstringDecoder;
	#queue: Promise<unknown> = Promise.resolve();
	#pending: Pending | undefined;
	/** Why deliveries now fail: set on close(), terminate(), a protocol error or the exit. */
	#stopped: Error | undefined;
	#exitError: XsWorkerExitError | undefined;
	#lastDeliveryThrew = false;
	/** Set when the host killed the worker, to say why in the exit error. */
	#killReason: string | undefined;
	#stderrTail: string[] = [];

	private constructor(bin: string, options: XsWorkerOptions) {
		const { meteringLimit = DEFAULT_METERING_LIMIT, name = 'xs-worker', onCommand } = options;
		if (!Number.isSafeInteger(meteringLimit) || meteringLimit < 0 || meteringLimit > MAX_METERING_LIMIT) {
			throw new RangeError(`meteringLimit must be an integer from 0 to ${MAX_METERING_LIMIT}, got ${String(meteringLimit)}`);
		}
		if (typeof name !== 'string' || name === '' || name.startsWith('-')) {
			throw new TypeError(`worker name must be a non-empty string not starting with '-', got ${JSON.stringify(name)}`);
		}
		if (onCommand !== undefined && typeof onCommand !== 'function') throw new TypeError('onCommand must be a function');
		this.name = name;
		this.#onCommand = onCommand;
		this.#messages = new NetstringDecoder({ maxLength: options.maxMessageLength });

		const args = [name];
		if (meteringLimit > 0) args.push('-l', String(meteringLimit));
		this.#child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
		const stdio = this.#child.stdio;
		this.#toWorker = stdio[3] as Writable;
		const fromWorker = stdio[4] as Readable;

		lineSink(stdio[1] as Readable, options.stdout);
		lineSink(stdio[2] as Readable, options.stderr, (line) => {
			this.#stderrTail.push(line);
			if (this.#stderrTail.length > 10) this.#stderrTail.shift();
		});
		// A dead worker makes writes fail with EPIPE; the exit handler reports why.
		this.#toWorker.on('error', noop);
		fromWorker.on('error', noop);
		fromWorker.on('data', (chunk: Buffer) => this.#receive(chunk));

		this.exited = new Promise((resolve) => {
			let spawnError: Error | undefined;
			this.#child.once('error', (error) => {
				spawnError = error;
				// A process that never started emits no 'close' on some Node versions.
				if (this.#child.pid === undefined) this.#finish(null, null, error, resolve);
			});
			this.#child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
				this.#finish(code, signal, spawnError, resolve);
			});
		});
	}

	/** Spawn a worker and wait until it answers. */
	static async start(options: XsWorkerOptions = {}): Promise<XsWorker> {
		const worker = new XsWorker(xsnapWorkerPath(), options);
		try {
			await worker.#deliver([encoder.encode('R')]);
		} catch (error) {
			worker.terminate();
			throw error;
		}
		return worker;
	}

	/** Evaluate a script in the worker's global scope. */
	evaluate(code: string): Promise<DeliveryResult> {
		if (typeof code !== 'string') return Promise.reject(new TypeError('evaluate() takes the source text as a string'));
		return this.#enqueue([encoder.encode('e'), encoder.encode(code)]);
	}

	/** Call the worker's `globalThis.handleCommand(ArrayBuffer)`; strings are sent as UTF-8. */
	issueCommand(msg: Uint8Array | string): Promise<DeliveryResult> {
		let bytes: Uint8Array;
		if (typeof msg === 'string') bytes = encoder.encode(msg);
		else if (msg instanceof Uint8Array) bytes = msg;
		else return Promise.reject(new TypeError('issueCommand() takes a Uint8Array or a string'));
		return this.#enqueue([encoder.encode('?'), bytes]);
	}

	/** Let queued deliveries finish, then ask the worker to quit and wait for its exit. */
	async close(): Promise<void> {
		if (!this.#stopped) {
			const last = this.#queue;
			this.#stopped = new Error(`XS worker "${this.name}" is closed`);
			this.#queue = last.then(async () => {
				if (this.#exitError) return;
				// The worker exits with 15 after `q` if the last delivery threw; reset that first.
				if (this.#lastDeliveryThrew) await this.#deliver([encoder.encode('e')]).catch(noop);
				this.#write([encoder.encode('q')]);
				this.#toWorker.end();
			});
		}
		await this.#queue.catch(noop);
		await this.exited;
	}

	/** Kill the worker now; pending and later deliveries reject. */
	terminate(): void {
		this.#stopped ??= new Error(`XS worker "${this.name}" was terminated`);
		this.#killReason ??= 'was terminated by the host';
		this.#child.kill('SIGKILL');
	}

	#enqueue(message: Uint8Array[]): Promise<DeliveryResult> {
		if (this.#stopped) return Promise.reject(this.#stopped);
		const total = message.reduce((sum, part) => sum + part.byteLength, 0);
		if (total > MAX_TO_WORKER) {
			return Promise.reject(new RangeError(`message of ${total} bytes exceeds the XS worker's limit of ${MAX_TO_WORKER}`));
		}
		const run = this.#queue.then(() => this.#deliver(message));
		this.#queue = run.catch(noop);
		return run;
	}

	#deliver(message: Uint8Array[]): Promise<DeliveryResult> {
		if (this.#exitError) return Promise.reject(this.#exitError);
		return new Promise<DeliveryResult>((resolve, reject) => {
			this.#pending = { resolve, reject };
			this.#write(message);
		});
	}

	#write(message: Uint8Array[]): void {
		this.#toWorker.write(encodeNetstring(message));
	}

	#receive(chunk: Buffer): void {
		let messages: Uint8Array[];
		try {
			messages = this.#messages.push(chunk);
		} catch (error) {
			this.#protocolError(`bad framing from the worker: ${(error as Error).message}`);
			return;
		}
		for (const message of messages) this.#handle(message);
	}

	#handle(message: Uint8Array): void {
		const pending = this.#pending;
		if (!pending || message.byteLength === 0) {
			this.#protocolError(pending ? 'empty message from the worker' : 'message from the worker outside a delivery');
			return;
		}
		const kind = message[0];
		if (kind === QUERY) {
			this.#answer(pending, message.subarray(1));
		} else if (kind === OK || kind === ERROR) {
			this.#pending = undefined;
			this.#lastDeliveryThrew = kind === ERROR;
			if (pending.hostError) pending.reject(pending.hostError);
			else if (kind === ERROR) pending.reject(new XsError(this.name, decoder.decode(message.subarray(1))));
			else {
				try {
					pending.resolve(parseOk(message));
				} catch (error) {
					pending.reject(error as Error);
				}
			}
		} else {
			this.#protocolError(`unknown message kind 0x${kind.toString(16)} from the worker`);
		}
	}

	/** Answer the worker's blocking issueCommand(). A reply not starting with '/' makes it throw. */
	#answer(pending: Pending, request: Uint8Array): void {
		let reply: Uint8Array;
		try {
			if (!this.#onCommand) throw new Error('the worker called issueCommand() but the host has no onCommand handler');
			const answer: unknown = this.#onCommand(request.slice());
			if (typeof answer === 'string') reply = encoder.encode(answer);
			else if (answer instanceof Uint8Array) reply = answer;
			else if (answer && typeof (answer as PromiseLike<unknown>).then === 'function') {
				throw new Error('onCommand must answer synchronously (it returned a promise)');
			} else throw new Error(`onCommand must return a Uint8Array or a string, got ${typeof answer}`);
		} catch (error) {
			const cause = error instanceof Error ? error : new Error(String(error));
			pending.hostError ??= new Error(`host command handler of XS worker "${this.name}" failed: ${cause.message}`, { cause });
			this.#write([encoder.encode('!')]);
			return;
		}
		this.#write([encoder.encode('/'), reply]);
	}

	#protocolError(message: string): void {
		const error = new Error(`XS worker "${this.name}": protocol error: ${message}`);
		this.#stopped ??= error;
		this.#pending?.reject(error);
		this.#pending = undefined;
		this.#killReason ??= `was killed after a protocol error (${message})`;
		this.#child.kill('SIGKILL');
	}

	#finish(
		code: number | null,
		signal: string | null,
		spawnError: Error | undefined,
		resolve: (value: { code: number | null; signal: string | null }) => void,
	): void {
		if (this.#exitError) return;
		let how: string;
		if (spawnError) how = `could not run: ${spawnError.message}`;
		else if (this.#killReason) how = this.#killReason;
		else if (signal) how = `was killed by ${signal}`;
		else how = `exited with code ${code}${code && EXIT_REASONS[code] ? ` (${EXIT_REASONS[code]})` : ''}`;
		const stderr = this.#stderrTail.length > 0 ? `; stderr: ${this.#stderrTail.join(' | ')}` : '';
		this.#exitError = new XsWorkerExitError(`XS worker "${this.name}" ${how}${stderr}`, code, signal);
		this.#stopped ??= this.#exitError;
		this.#pending?.reject(this.#exitError);
		this.#pending = undefined;
		resolve({ code, signal });
	}
}

function parseOk(message: Uint8Array): DeliveryResult {
	const separator = message.indexOf(METER_SEPARATOR, 1);
	if (separator < 0) return { reply: message.slice(1), meter: { compute: 0, allocate: 0 } };
	const meter = JSON.parse(decoder.decode(message.subarray(1, separator))) as Meter;
	if (typeof meter?.compute !== 'number' || typeof meter.allocate !== 'number') {
		throw new Error(`XS worker sent meter data without compute/allocate numbers: ${JSON.stringify(meter)}`);
	}
	return { reply: message.slice(separator + 1), meter };
}
