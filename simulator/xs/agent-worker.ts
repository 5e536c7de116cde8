/*
 * The agent's side of the XS bridge, bundled and evaluated inside an xsnap worker.
 *
 * The agent gets port objects whose every method is a synchronous call to the Node host
 * (issueCommand); what it passes that is a function (socket callbacks, timer callbacks) is
 * exported by id and called back later by host deliveries; what the host returns that has
 * methods (a socket, a slot writer, a digest) comes back as a proxy calling by handle. Nothing
 * here knows any particular port: the host lists the ports and their methods in `start`.
 *
 * Host → worker (handleCommand):  start, fn (call an exported function), invoke (boot/check),
 *                                  watch, eventDone
 * Worker → host (issueCommand):   p (port call), h (handle call), settle (invoke finished),
 *                                  event (a watched agent event), fault (an exception escaped)
 */
import { UpdraftAgent, type AgentConfig } from '../../modules/agent';
import type { Ports } from '../../modules/ports';
import { encodeMessage, decodeMessage, type CodecHooks } from './bridge-codec';

declare const issueCommand: (message: ArrayBuffer) => ArrayBuffer;

type Fn = (...args: any[]) => unknown;

const exported = new Map<number, Fn>();
const exportedIds = new WeakMap<Fn, number>();
let nextFunction = 1;
let nextEvent = 1;
const pendingEvents = new Map<number, (results: unknown) => void>();
let agent: UpdraftAgent | undefined;

const hooks: CodecHooks = {
	exportFunction(fn) {
		let id = exportedIds.get(fn);
		if (id === undefined) {
			id = nextFunction++;
			exportedIds.set(fn, id);
			exported.set(id, fn);
		}
		return id;
	},
	importHandle(h, props, methods) {
		const proxy: Record<string, unknown> = { ...props };
		for (const m of methods) proxy[m] = (...a: unknown[]) => call({ t: 'h', h, m, a });
		return proxy;
	},
};

function toHost(message: unknown): unknown {
	const bytes = encodeMessage(message, hooks);
	const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
	const reply = issueCommand(buffer);
	return reply.byteLength ? decodeMessage(new Uint8Array(reply), hooks) : undefined;
}

/** A synchronous call into the host; a host exception is rethrown here with its class. */
function call(message: unknown): unknown {
	const reply = toHost(message) as { ok?: unknown; err?: Error };
	if (reply && 'err' in reply) throw reply.err;
	return reply?.ok;
}

function portProxies(ports: Record<string, string[]>): Ports {
	const out: Record<string, Record<string, Fn>> = {};
	for (const [p, methods] of Object.entries(ports)) {
		out[p] = {};
		for (const m of methods) out[p][m] = (...a: unknown[]) => call({ t: 'p', p, m, a });
	}
	return out as unknown as Ports;
}

function forwardEvent(name: string) {
	return (arg: unknown) => {
		const id = nextEvent++;
		const reply = toHost({ t: 'event', name, arg, id }) as { results?: unknown; pending?: boolean };
		if (!reply?.pending) return reply?.results;
		return new Promise((resolve) => pendingEvents.set(id, resolve));
	};
}

type HostMessage =
	| { t: 'start'; ports: Record<string, string[]>; config: AgentConfig }
	| { t: 'fn'; f: number; a: unknown[] }
	| { t: 'invoke'; id: number; m: 'boot' | 'check' }
	| { t: 'watch'; name: string }
	| { t: 'eventDone'; id: number; results: unknown };

function handle(message: HostMessage): void {
	switch (message.t) {
		case 'start':
			agent = new UpdraftAgent(portProxies(message.ports), message.config);
			return;
		case 'fn': {
			const fn = exported.get(message.f);
			if (!fn) throw new Error(`no exported function ${message.f}`);
			fn(...message.a);
			return;
		}
		case 'invoke': {
			const { id, m } = message;
			if (!agent) throw new Error('agent not started');
			agent[m]().then(
				(ok) => toHost({ t: 'settle', id, ok }),
				(err) => toHost({ t: 'settle', id, err }),
			);
			return;
		}
		case 'watch':
			if (!agent) throw new Error('agent not started');
			agent.watch(message.name, forwardEvent(message.name));
			return;
		case 'eventDone':
			pendingEvents.get(message.id)?.(message.results);
			pendingEvents.delete(message.id);
			return;
	}
}

(globalThis as { handleCommand?: (message: ArrayBuffer) => void }).handleCommand = (bytes) => {
	try {
		handle(decodeMessage(new Uint8Array(bytes), hooks) as HostMessage);
	} catch (error) {
		// An exception escaping into the event loop: on a device this is a crash. Tell the host
		// with the message and stack, then let the delivery fail.
		toHost({ t: 'fault', err: error });
		throw error;
	}
};
