/*
 * The worker's half of the port bridge, shared by every program the simulator runs inside XS
 * (the agent, and the benchmark's minimal loop). It turns the host's port list into proxy
 * objects whose methods are synchronous host calls, exports the functions the program hands to
 * ports (callbacks) by id, and dispatches the host's deliveries.
 *
 * Host → worker (handleCommand):  start {ports, config}, fn (call an exported function),
 *                                  invoke {id, m} (run a named async entry point), gc,
 *                                  and whatever extra messages the program handles
 * Worker → host (issueCommand):   p (port call), h (handle call), settle (invoke finished),
 *                                  fault (an exception escaped), and the program's own
 */
import type { Ports } from '../../modules/ports';
import { encodeMessage, decodeMessage, type CodecHooks } from './bridge-codec';

declare const issueCommand: (message: ArrayBuffer) => ArrayBuffer;

type Fn = (...args: any[]) => unknown;

const exported = new Map<number, Fn>();
const exportedIds = new WeakMap<Fn, number>();
let nextFunction = 1;

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

/** Send a message to the host and return its decoded answer. */
export function toHost(message: unknown): unknown {
	const bytes = encodeMessage(message, hooks);
	// encodeMessage's result fills its own buffer: hand that over without another copy.
	const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
	const buffer = (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) as ArrayBuffer;
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

export interface WorkerProgram {
	/** Build the program from its ports and configuration. */
	start(ports: Ports, config: any): void;
	/** Named async entry points the host may invoke. */
	entries: Record<string, () => Promise<unknown>>;
	/** Messages of the program's own. */
	handle?(message: { t: string } & Record<string, any>): void;
}

export function serve(program: WorkerProgram): void {
	const dispatch = (message: { t: string } & Record<string, any>): void => {
		switch (message.t) {
			case 'start':
				program.start(portProxies(message.ports), message.config);
				return;
			case 'fn': {
				const fn = exported.get(message.f);
				if (!fn) throw new Error(`no exported function ${message.f}`);
				fn(...message.a);
				return;
			}
			case 'invoke': {
				const entry = program.entries[message.m];
				if (!entry) throw new Error(`no entry point ${message.m}`);
				const id = message.id;
				entry().then(
					(ok) => toHost({ t: 'settle', id, ok }),
					(err) => toHost({ t: 'settle', id, err }),
				);
				return;
			}
			case 'gc':
				(globalThis as { gc?: () => void }).gc?.();
				return;
			default:
				if (!program.handle) throw new Error(`unknown message ${message.t}`);
				program.handle(message);
		}
	};
	(globalThis as { handleCommand?: (message: ArrayBuffer) => void }).handleCommand = (bytes) => {
		try {
			dispatch(decodeMessage(new Uint8Array(bytes), hooks) as { t: string });
		} catch (error) {
			// An exception escaping into the event loop: on a device this is a crash. Tell the
			// host with the message and stack, then let the delivery fail.
			toHost({ t: 'fault', err: error });
			throw error;
		}
	};
}
