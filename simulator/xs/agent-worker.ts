/*
 * The agent inside an XS worker: an UpdraftAgent on bridged ports (worker-bridge.ts), with
 * `boot` and `check` as entry points, and the agent's events forwarded to host watchers. An
 * event whose host watchers return promises (device:update may be answered asynchronously)
 * keeps the agent waiting until the host delivers `eventDone`.
 */
import { UpdraftAgent } from '../../modules/agent';
import { serve, toHost } from './worker-bridge';

let agent: UpdraftAgent | undefined;
let nextEvent = 1;
const pendingEvents = new Map<number, (results: unknown) => void>();

function started(): UpdraftAgent {
	if (!agent) throw new Error('agent not started');
	return agent;
}

function forwardEvent(name: string) {
	return (arg: unknown) => {
		const id = nextEvent++;
		const reply = toHost({ t: 'event', name, arg, id }) as { results?: unknown; pending?: boolean };
		if (!reply?.pending) return reply?.results;
		return new Promise((resolve) => pendingEvents.set(id, resolve));
	};
}

serve({
	start(ports, config) {
		agent = new UpdraftAgent(ports, config);
	},
	entries: {
		boot: () => started().boot(),
		check: () => started().check(),
	},
	handle(message) {
		if (message.t === 'watch') {
			started().watch(message.name, forwardEvent(message.name));
		} else if (message.t === 'eventDone') {
			pendingEvents.get(message.id)?.(message.results);
			pendingEvents.delete(message.id);
		} else {
			throw new Error(`unknown message ${message.t}`);
		}
	},
});
