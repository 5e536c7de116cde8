/*
 * The host's half of the port bridge: runs a program (a bundle built on worker-bridge.ts) inside
 * an XS worker with its ports served by Node host adapters. Generic: the ports and their methods
 * are enumerated from the Ports object; functions and method-bearing objects cross by id
 * (bridge-codec.ts). Adding a port or a method needs no bridge code.
 *
 * Port calls from the program are synchronous commands answered here; socket data and timers
 * reach it as deliveries, queued in order. A worker that dies (out of memory, a runaway loop
 * past the metering limit, an exception escaping into its event loop) rejects everything
 * pending with an XsCrashError, carrying the XS message and stack, which the simulated device
 * treats as a crash and reboots.
 */
import type { Ports } from '../../modules/ports';
import { encodeMessage, decodeMessage, describeHandle, type CodecHooks } from './bridge-codec';
import { bundleForXs } from './bundle';
import { XsWorker, type Meter } from './xs-worker';

export class XsCrashError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'XsCrashError';
	}
}

export interface XsProgramOptions {
	/** Computrons per delivery before the worker is killed; 0 = no limit. Default 1e8. */
	meteringLimit?: number;
	/** Lines the program prints with `print`. */
	onPrint?: (line: string) => void;
	/** Answers the program's own messages (anything but p, h, settle, fault). */
	onMessage?: (message: { t: string } & Record<string, any>) => unknown;
	name?: string;
}

export interface XsStats {
	deliveries: number;
	/** Computrons summed over every delivery. */
	compute: number;
	/** Live XS heap slots after the last delivery. */
	heapCount: number;
	/** Largest heap slot count seen after a delivery. */
	maxHeapCount: number;
	/** Bytes of XS chunk heap allocated, after the last delivery. */
	allocate: number;
}

export interface XsProgram {
	/** Run a named entry point of the program and wait for its result. */
	invoke(entry: string): Promise<unknown>;
	/** Queue a message to the program. */
	deliver(message: { t: string } & Record<string, unknown>): void;
	/** Collect garbage in the worker, then report the heap. */
	measureHeap(): Promise<{ heapCount: number; allocate: number }>;
	/** Resolves once every delivery queued so far has finished (and is counted in stats). */
	drained(): Promise<void>;
	stats(): XsStats;
	/** Kill the worker at once, as a crash or power cut would; everything pending rejects. */
	kill(): void;
	close(): Promise<void>;
}

const bundles = new Map<string, Promise<string>>();

/** A program's bundle, built once per process. */
export function programBundle(entry: string): Promise<string> {
	let bundle = bundles.get(entry);
	if (!bundle) {
		bundle = bundleForXs(entry);
		bundles.set(entry, bundle);
	}
	return bundle;
}

type BridgeMessage =
	| { t: 'p'; p: keyof Ports; m: string; a: unknown[] }
	| { t: 'h'; h: number; m: string; a: unknown[] }
	| { t: 'settle'; id: number; ok?: unknown; err?: Error }
	| { t: 'fault'; err: Error };

export async function startXsProgram(entry: string, ports: Ports, config: unknown, options: XsProgramOptions = {}): Promise<XsProgram> {
	const handles = new Map<number, Record<string, (...a: unknown[]) => unknown>>();
	let nextHandle = 1;
	const invokes = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
	let nextInvoke = 1;
	let crash: XsCrashError | undefined;
	let fault: Error | undefined;
	const stats: XsStats = { deliveries: 0, compute: 0, heapCount: 0, maxHeapCount: 0, allocate: 0 };

	const hooks: CodecHooks = {
		exportHandle(object) {
			const id = nextHandle++;
			handles.set(id, object as Record<string, (...a: unknown[]) => unknown>);
			return id;
		},
		importFunction: (f) => (...a: unknown[]) => {
			deliver({ t: 'fn', f, a });
		},
	};

	// A port call that returns nothing (a flash write, a store set) is answered with no bytes at
	// all, which the worker reads as undefined without decoding anything.
	const answered = (ok: unknown) => (ok === undefined ? undefined : { ok });

	const answer = (message: BridgeMessage): unknown => {
		switch (message.t) {
			case 'p': {
				const port = ports[message.p] as unknown as Record<string, (...a: unknown[]) => unknown> | undefined;
				if (!port || typeof port[message.m] !== 'function') throw new TypeError(`no port method ${message.p}.${message.m}`);
				return answered(port[message.m](...message.a));
			}
			case 'h': {
				const target = handles.get(message.h);
				if (!target || typeof target[message.m] !== 'function') throw new TypeError(`no method ${message.m} on handle ${message.h}`);
				const ok = target[message.m](...message.a);
				// close() ends an ECMA-419 object's life: drop the handle so the table stays small.
				if (message.m === 'close') handles.delete(message.h);
				return answered(ok);
			}
			case 'settle': {
				const pending = invokes.get(message.id);
				invokes.delete(message.id);
				if (message.err) pending?.reject(message.err);
				else pending?.resolve(message.ok);
				return undefined;
			}
			case 'fault':
				fault = message.err;
				return undefined;
			default:
				if (!options.onMessage) throw new TypeError(`unknown message ${(message as { t: string }).t}`);
				return options.onMessage(message);
		}
	};

	const worker = await XsWorker.start({
		name: options.name ?? 'updraft-xs',
		meteringLimit: options.meteringLimit,
		stdout: options.onPrint ?? (() => {}),
		onCommand(bytes) {
			let reply: unknown;
			try {
				reply = answer(decodeMessage(bytes, hooks) as BridgeMessage);
			} catch (error) {
				reply = { err: error };
			}
			return reply === undefined ? new Uint8Array(0) : encodeMessage(reply, hooks);
		},
	});

	const die = (error: XsCrashError) => {
		if (crash) return;
		crash = error;
		for (const pending of invokes.values()) pending.reject(error);
		invokes.clear();
	};
	void worker.exited.then(({ code, signal }) => die(new XsCrashError(`XS worker exited (${signal ?? `code ${code}`})${fault ? `: ${describeFault(fault)}` : ''}`)));

	const record = (meter: Meter) => {
		stats.deliveries++;
		stats.compute += meter.compute;
		stats.allocate = meter.allocate;
		stats.heapCount = meter.currentHeapCount ?? 0;
		stats.maxHeapCount = Math.max(stats.maxHeapCount, stats.heapCount);
	};

	let tail: Promise<unknown> = Promise.resolve();
	const send = (message: unknown) => (tail = worker.issueCommand(encodeMessage(message, hooks)).then((result) => {
		record(result.meter);
		return result.meter;
	}, (error: Error) => {
		// The program threw into the event loop: on a device that is a crash and a reset.
		die(new XsCrashError(fault ? describeFault(fault) : error.message));
		worker.terminate();
		throw crash;
	})) as Promise<Meter>;

	function deliver(message: unknown): void {
		if (!crash) send(message).catch(() => {});
	}

	try {
		await worker.evaluate(await programBundle(entry));
	} catch (error) {
		worker.terminate();
		throw error;
	}
	deliver({ t: 'start', ports: describePorts(ports), config });

	return {
		invoke: (name) => new Promise((resolve, reject) => {
			if (crash) return reject(crash);
			const id = nextInvoke++;
			invokes.set(id, { resolve, reject });
			deliver({ t: 'invoke', id, m: name });
		}),
		deliver,
		async measureHeap() {
			if (crash) throw crash;
			const meter = await send({ t: 'gc' });
			return { heapCount: meter.currentHeapCount ?? 0, allocate: meter.allocate };
		},
		async drained() {
			// Deliveries queued while waiting extend the tail; wait until it stops moving.
			for (let seen: Promise<unknown> | undefined; seen !== tail;) {
				seen = tail;
				await seen.catch(() => {});
			}
		},
		stats: () => ({ ...stats }),
		kill() {
			fault ??= new Error('killed');
			worker.terminate();
		},
		async close() {
			if (!crash) die(new XsCrashError('XS program closed'));
			await worker.close().catch(() => worker.terminate());
		},
	};
}

/** The port names and their method names, for the worker to build proxies from. */
function describePorts(ports: Ports): Record<string, string[]> {
	const out: Record<string, string[]> = {};
	for (const [name, port] of Object.entries(ports)) if (port) out[name] = describeHandle(port).methods;
	return out;
}

function describeFault(error: Error): string {
	const stack = (error as { remoteStack?: string }).remoteStack;
	return stack ? `${error.message}\n${stack}` : error.message;
}
