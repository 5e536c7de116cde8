/*
 * What a simulated device holds of its agent, whichever engine runs it: the agent's own object
 * on Node, or a proxy to the agent inside an XS worker (simulator/xs/xs-agent.ts).
 */
import { UpdraftAgent, type AgentConfig, type CycleResult } from '../../modules/agent';
import type { Ports } from '../../modules/ports';
import type { Watcher } from '../../modules/events';
import { Scheduler } from '../../modules/scheduler';

export type Engine = 'xs' | 'node';
export const ENGINES: readonly Engine[] = ['xs', 'node'];

export interface AgentHandle {
	readonly engine: Engine;
	watch(name: string, fn: Watcher, data?: unknown): void;
	unwatch(name: string, fn: Watcher, data?: unknown): void;
	boot(): Promise<CycleResult | undefined>;
	check(): Promise<CycleResult>;
	/** Start the agent's own timetable (update.period, schedule, jitter, apply); false when off. */
	start(): Promise<boolean>;
	stop(): Promise<void>;
	/** Stop the engine (ends the XS worker); the agent is unusable afterwards. */
	close(): Promise<void>;
}

export function nodeAgent(ports: Ports, config: AgentConfig): AgentHandle {
	const agent = new UpdraftAgent(ports, config);
	const scheduler = new Scheduler(agent, ports.clock, ports.log);
	return {
		engine: 'node',
		watch: (name, fn, data) => agent.watch(name, fn, data),
		unwatch: (name, fn, data) => agent.unwatch(name, fn, data),
		boot: () => agent.boot(),
		check: () => agent.check(),
		start: async () => scheduler.start(),
		stop: async () => scheduler.stop(),
		close: async () => scheduler.stop(),
	};
}
