/*
 * The agent inside an XS worker: an UpdraftAgent on bridged ports (worker-bridge.ts), with
 * `boot` and `check` as entry points, and the agent's events forwarded to host watchers. An
 * event whose host watchers return promises (device:update may be answered asynchronously)
 * keeps the agent waiting until the host delivers `eventDone`.
 */
import { UpdraftAgent } from '../../modules/agent';
import { Scheduler } from '../../modules/scheduler';
import type { ClockPort } from '../../modules/ports';
import { serve, toHost } from './worker-bridge';

let agent: UpdraftAgent | undefined;
let scheduler: Scheduler | undefined;
let clock: ClockPort;
let nextEvent = 1;
const pendingEvents = new Map<number, (results: unknown) => void>();

function started(): UpdraftAgent {
	if (!agent) throw new Error('agent not started');
	return agent;
}

/** A stand-in for one host watcher; it returns (or promises) that watcher's result. */
function forwardEvent(name: string, watcher: number) {
	return (arg: unknown) => {
		const id = nextEvent++;
		const reply = toHost({ t: 'event', name, arg, id, watcher }) as { result?: unknown; pending?: boolean };
		if (reply?.result instanceof Error) throw reply.result;
		if (!reply?.pending) return reply?.result;
		return new Promise((resolve, reject) => pendingEvents.set(id, (result) => (result instanceof Error ? reject(result) : resolve(result))));
	};
}

const forwarders = new Map<number, (arg: unknown) => unknown>();

serve({
	start(ports, config) {
		agent = new UpdraftAgent(ports, config);
		clock = ports.clock;
	},
	entries: {
		boot: () => started().boot(),
		check: () => started().check(),
		start: async () => {
			scheduler ??= new Scheduler(started(), clock);
			return scheduler.start();
		},
		stop: async () => scheduler?.stop(),
	},
	handle(message) {
		if (message.t === 'watch') {
			const forwarder = forwardEvent(message.name, message.watcher);
			forwarders.set(message.watcher, forwarder);
			started().watch(message.name, forwarder);
		} else if (message.t === 'unwatch') {
			const forwarder = forwarders.get(message.watcher);
			forwarders.delete(message.watcher);
			if (forwarder) started().unwatch(message.name, forwarder);
		} else if (message.t === 'eventDone') {
			pendingEvents.get(message.id)?.(message.result);
			pendingEvents.delete(message.id);
		} else {
			throw new Error(`unknown message ${message.t}`);
		}
	},
});
