/*
 * The agent on the real XS engine: agent-worker.ts run by xs-program.ts, seen from the simulated
 * device as an AgentHandle. Each host watcher is registered inside the worker by id; the worker
 * forwards the event to it and hands the agent that watcher's own result, so device:update
 * verdicts and self-test results mean the same on both engines. A host watcher may answer with a
 * promise and the agent waits for it.
 */
import { fileURLToPath } from 'node:url';
import type { Ports } from '../../modules/ports';
import type { AgentConfig, CycleResult } from '../../modules/agent';
import type { Watcher } from '../../modules/events';
import type { AgentHandle } from '../device/agent-handle';
import { startXsProgram, type XsProgram, type XsProgramOptions } from './xs-program';

export { XsCrashError } from './xs-program';

export const AGENT_WORKER = fileURLToPath(new URL('./agent-worker.ts', import.meta.url));

export type XsAgent = AgentHandle & Pick<XsProgram, 'stats' | 'measureHeap' | 'drained' | 'kill'>;

export async function startXsAgent(ports: Ports, config: AgentConfig, options: Omit<XsProgramOptions, 'onMessage'> = {}): Promise<XsAgent> {
	// Each host watcher is one watcher inside XS (by id), so the agent sees each one's own result.
	const watchers = new Map<number, { name: string; fn: Watcher; data: unknown }>();
	let nextWatcher = 1;
	const program: XsProgram = await startXsProgram(AGENT_WORKER, ports, config, {
		name: 'updraft-agent',
		...options,
		onMessage(message) {
			if (message.t !== 'event') throw new TypeError(`unknown message ${message.t}`);
			const watcher = watchers.get(message.watcher);
			if (!watcher) return { result: undefined };
			let result: unknown;
			try {
				result = watcher.fn(message.arg, watcher.data);
			} catch (error) {
				return { result: error };
			}
			if (!(result instanceof Promise)) return { result: plain(result) };
			void result.then((settled) => plain(settled), (error) => (error instanceof Error ? error : new Error(String(error))))
				.then((settled) => program.deliver({ t: 'eventDone', id: message.id, result: settled }));
			return { pending: true };
		},
	});
	return {
		engine: 'xs',
		watch(name: string, fn: Watcher, data?: unknown) {
			for (const w of watchers.values()) if (w.name === name && w.fn === fn && w.data === data) return;
			const id = nextWatcher++;
			watchers.set(id, { name, fn, data });
			program.deliver({ t: 'watch', name, watcher: id });
		},
		unwatch(name: string, fn: Watcher, data?: unknown) {
			for (const [id, w] of watchers) {
				if (w.name === name && w.fn === fn && w.data === data) {
					watchers.delete(id);
					program.deliver({ t: 'unwatch', name, watcher: id });
				}
			}
		},
		boot: () => program.invoke('boot') as Promise<CycleResult | undefined>,
		check: () => program.invoke('check') as Promise<CycleResult>,
		start: () => program.invoke('start') as Promise<boolean>,
		stop: async () => {
			await program.invoke('stop');
		},
		stats: program.stats,
		measureHeap: program.measureHeap,
		drained: program.drained,
		kill: program.kill,
		close: program.close,
	};
}

/** A watcher's result crosses as data; anything else (functions, class instances) becomes undefined. */
function plain(value: unknown): unknown {
	if (value instanceof Error) return value;
	if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || Array.isArray(value) ? value : undefined;
}
