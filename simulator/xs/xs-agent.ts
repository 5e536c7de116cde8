/*
 * The agent on the real XS engine: agent-worker.ts run by xs-program.ts, seen from the simulated
 * device as an AgentHandle. Host watchers subscribe through the worker, which forwards each
 * watched event; a host watcher may answer with a promise and the agent waits for it.
 */
import { fileURLToPath } from 'node:url';
import type { Ports } from '../../modules/ports';
import type { AgentConfig, CycleResult } from '../../modules/agent';
import { EventBus, type Watcher } from '../../modules/events';
import type { AgentHandle } from '../device/agent-handle';
import { startXsProgram, type XsProgram, type XsProgramOptions } from './xs-program';

export { XsCrashError } from './xs-program';

export const AGENT_WORKER = fileURLToPath(new URL('./agent-worker.ts', import.meta.url));

export type XsAgent = AgentHandle & Pick<XsProgram, 'stats' | 'measureHeap' | 'drained' | 'kill'>;

export async function startXsAgent(ports: Ports, config: AgentConfig, options: Omit<XsProgramOptions, 'onMessage'> = {}): Promise<XsAgent> {
	const events = new EventBus();
	const watched = new Set<string>();
	const program: XsProgram = await startXsProgram(AGENT_WORKER, ports, config, {
		name: 'updraft-agent',
		...options,
		onMessage(message) {
			if (message.t !== 'event') throw new TypeError(`unknown message ${message.t}`);
			const results = events.signalSync(message.name, message.arg);
			if (!results.some((r) => r instanceof Promise)) return { results: plain(results) };
			void Promise.all(results).then((settled) => program.deliver({ t: 'eventDone', id: message.id, results: plain(settled) }));
			return { pending: true };
		},
	});
	return {
		engine: 'xs',
		watch(name: string, fn: Watcher, data?: unknown) {
			events.watch(name, fn, data);
			if (!watched.has(name)) {
				watched.add(name);
				program.deliver({ t: 'watch', name });
			}
		},
		unwatch: (name: string, fn: Watcher, data?: unknown) => events.unwatch(name, fn, data),
		boot: () => program.invoke('boot') as Promise<CycleResult | undefined>,
		check: () => program.invoke('check') as Promise<CycleResult>,
		stats: program.stats,
		measureHeap: program.measureHeap,
		drained: program.drained,
		kill: program.kill,
		close: program.close,
	};
}

/** Watcher results cross as data; anything else (functions, class instances) becomes undefined. */
function plain(values: unknown[]): unknown[] {
	return values.map((v) => (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) === Object.prototype || Array.isArray(v) ? (typeof v === 'function' ? undefined : v) : undefined));
}
