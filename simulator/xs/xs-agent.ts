/*
 * Runs the agent inside a real XS engine (an xsnap worker) with its ports bridged to Node host
 * adapters. The bridge is generic: the ports and their methods are enumerated from the Ports
 * object, functions and method-bearing objects cross by id (bridge-codec.ts), so a new port or a
 * new method needs no bridge code.
 *
 * Port calls from the agent are synchronous commands answered here; socket data and timers reach
 * the agent as deliveries, queued in order. A worker that dies (out of memory, runaway loop past
 * the metering limit, an exception escaping into its event loop) rejects what is pending with an
 * XsCrashError, which the simulated device treats as a crash and reboots.
 */
import { fileURLToPath } from 'node:url';
import type { Ports } from '../../modules/ports';
import type { AgentConfig, CycleResult } from '../../modules/agent';
import { EventBus, type Watcher } from '../../modules/events';
import type { AgentHandle } from '../device/agent-handle';
import { encodeMessage, decodeMessage, describeHandle, type CodecHooks } from './bridge-codec';
import { bundleForXs } from './bundle';
import { XsWorker, type Meter } from './xs-worker';

const ENTRY = fileURLToPath(new URL('./agent-worker.ts', import.meta.url));
let bundle: Promise<string> | undefined;

/** The agent bundle, built once per process. */
export function agentBundle(): Promise<string> {
	bundle ??= bundleForXs(ENTRY);
	return bundle;
}

export class XsCrashError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'XsCrashError';
	}
}

export interface XsAgentOptions {
	/** Computrons per delivery before the worker is killed; 0 = no limit. */
	meteringLimit?: number;
	/** Lines the agent prints with `print`. */
	onPrint?: (line: string) => void;
}

export interface XsAgentStats {
	deliveries: number;
	/** Computrons summed over every delivery. */
	compute: number;
	/** Largest XS heap slot count seen after a delivery. */
	maxHeapCount: number;
	/** Heap slot count after the last delivery. */
	heapCount: number;
	/** Bytes of XS heap chunks allocated, after the last delivery. */
	allocate: number;
}

type WorkerMessage =
	| { t: 'p'; p: keyof Ports; m: string; a: unknown[] }
	| { t: 'h'; h: number; m: string; a: unknown[] }
	| { t: 'settle'; id: number; ok?: CycleResult; err?: Error }
	| { t: 'event'; name: string; arg: unknown; id: number }
	| { t: 'fault'; err: Error };

export async function startXsAgent(ports: Ports, config: AgentConfig, options: XsAgentOptions = {}): Promise<AgentHandle & { stats(): XsAgentStats }> {
	const handles = new Map<number, Record<string, (...a: unknown[]) => unknown>>();
	let nextHandle = 1;
	const invokes = new Map<number, { resolve(v: CycleResult | undefined): void; reject(e: Error): void }>();
	let nextInvoke = 1;
	const events = new EventBus();
	const watched = new Set<string>();
	let crash: XsCrashError | undefined;
	let fault: Error | undefined;
	const stats: XsAgentStats = { deliveries: 0, compute: 0, maxHeapCount: 0, heapCount: 0, allocate: 0 };

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

	const answer = (message: WorkerMessage): unknown => {
		switch (message.t) {
			case 'p': {
				const port = ports[message.p] as unknown as Record<string, (...a: unknown[]) => unknown> | undefined;
				if (!port || typeof port[message.m] !== 'function') throw new TypeError(`no port method ${message.p}.${message.m}`);
				return { ok: port[message.m](...message.a) };
			}
			case 'h': {
				const target = handles.get(message.h);
				if (!target || typeof target[message.m] !== 'function') throw new TypeError(`no method ${message.m} on handle ${message.h}`);
				const ok = target[message.m](...message.a);
				// close() ends an ECMA-419 object's life: drop the handle so the map stays small.
				if (message.m === 'close') handles.delete(message.h);
				return { ok };
			}
			case 'settle': {
				const pending = invokes.get(message.id);
				invokes.delete(message.id);
				if (message.err) pending?.reject(message.err);
				else pending?.resolve(message.ok);
				return undefined;
			}
			case 'event': {
				const results = events.signalSync(message.name, message.arg);
				if (!results.some((r) => r instanceof Promise)) return { results: plain(results) };
				void Promise.all(results).then((settled) => deliver({ t: 'eventDone', id: message.id, results: plain(settled) }));
				return { pending: true };
			}
			case 'fault':
				fault = message.err;
				return undefined;
		}
	};

	const worker = await XsWorker.start({
		name: 'updraft-agent',
		meteringLimit: options.meteringLimit,
		stdout: options.onPrint ?? (() => {}),
		onCommand(bytes) {
			const message = decodeMessage(bytes, hooks) as WorkerMessage;
			let reply: unknown;
			try {
				reply = answer(message);
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

	function deliver(message: unknown): void {
		if (crash) return;
		worker.issueCommand(encodeMessage(message, hooks)).then(
			(result) => record(result.meter),
			(error: Error) => {
				// The agent threw into the event loop: on a device that is a crash and a reset.
				die(new XsCrashError(fault ? describeFault(fault) : error.message));
				worker.terminate();
			},
		);
	}

	await worker.evaluate(await agentBundle());
	deliver({ t: 'start', ports: describePorts(ports), config });

	const invoke = (m: 'boot' | 'check') => new Promise<CycleResult | undefined>((resolve, reject) => {
		if (crash) return reject(crash);
		const id = nextInvoke++;
		invokes.set(id, { resolve, reject });
		deliver({ t: 'invoke', id, m });
	});

	return {
		engine: 'xs',
		watch(name: string, fn: Watcher, data?: unknown) {
			events.watch(name, fn, data);
			if (!watched.has(name)) {
				watched.add(name);
				deliver({ t: 'watch', name });
			}
		},
		unwatch: (name: string, fn: Watcher, data?: unknown) => events.unwatch(name, fn, data),
		boot: () => invoke('boot'),
		check: () => invoke('check') as Promise<CycleResult>,
		stats: () => ({ ...stats }),
		async close() {
			if (!crash) die(new XsCrashError('agent closed'));
			await worker.close().catch(() => worker.terminate());
		},
	};
}

/** The port names and their method names, for the worker to build proxies from. */
function describePorts(ports: Ports): Record<string, string[]> {
	const out: Record<string, string[]> = {};
	for (const [name, port] of Object.entries(ports)) {
		if (!port) continue;
		out[name] = describeHandle(port).methods;
	}
	return out;
}

/** Watcher results cross as data; a function or class instance becomes undefined. */
function plain(values: unknown[]): unknown[] {
	return values.map((v) => (v === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof v) || (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) ? v : undefined));
}

function describeFault(error: Error): string {
	const stack = (error as { remoteStack?: string }).remoteStack;
	return stack ? `${error.message}\n${stack}` : error.message;
}
