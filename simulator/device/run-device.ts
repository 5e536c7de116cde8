/*
 * One cycle of a simulated device: boot the firmware in the active slot, start the agent on the
 * chosen engine, let it settle anything a previous restart interrupted, check in once, and when
 * the agent switched slots (or crashed), restart the device and boot again so the agent can
 * settle what now runs.
 */
import type { CycleResult } from '../../modules/agent';
import type { LogLevel } from '../../modules/ports';
import { Reason } from '../../modules/reasons';
import { createSimHost, devicePaths } from '../../hosts/sim/host';
import { readDeviceFiles, agentConfig } from '../../hosts/sim/config';
import { startXsAgent, XsCrashError } from '../xs/xs-agent';
import { nodeAgent, type AgentHandle, type Engine } from './agent-handle';
import { bootDevice } from './boot';

export interface RunOptions {
	/** Which engine runs the agent; default 'xs', the engine of the device. */
	engine?: Engine;
	log?: (level: LogLevel, message: string) => void;
	/** Called with each agent started (before and after a restart), to add watchers. */
	onAgent?: (agent: AgentHandle) => void;
}

/** The one JSON line `updraft device run --once` prints. */
export interface RunResult {
	id: string;
	before: string;
	after: string;
	update: string | null;
	outcome: CycleResult['outcome'];
	reason: string | null;
	message?: string;
}

async function powerOn(dir: string, options: RunOptions) {
	const files = readDeviceFiles(devicePaths(dir).config);
	const firmware = bootDevice(dir);
	const host = createSimHost({ dir, version: firmware.version, log: options.log });
	const config = agentConfig(files);
	try {
		const agent = options.engine === 'node'
			? nodeAgent(host.ports, config)
			: await startXsAgent(host.ports, config, { onPrint: (line) => options.log?.('debug', `xs: ${line}`) });
		options.onAgent?.(agent);
		return { files, firmware, host, agent };
	} catch (error) {
		host.dispose();
		throw error;
	}
}

/** Run `step`; a crash of the agent's engine becomes a failed result instead of an exception. */
async function surviving<T>(step: () => Promise<T>): Promise<T | CycleResult> {
	try {
		return await step();
	} catch (error) {
		if (!(error instanceof XsCrashError)) throw error;
		return { outcome: 'failed', reason: Reason.AGENT_CRASHED, message: error.message };
	}
}

export async function runDeviceOnce(dir: string, options: RunOptions = {}): Promise<RunResult> {
	const first = await powerOn(dir, options);
	let result: CycleResult;
	try {
		const booted = await surviving(() => first.agent.boot());
		result = booted && booted.reason === Reason.AGENT_CRASHED ? booted : await surviving(() => first.agent.check());
	} finally {
		await first.agent.close();
		first.host.dispose();
	}
	let after = first.firmware.version;
	if (first.host.restartRequested || result.reason === Reason.AGENT_CRASHED) {
		const second = await powerOn(dir, options);
		try {
			const settled = await surviving(() => second.agent.boot());
			if (settled) result = settled;
			after = second.firmware.version;
		} finally {
			await second.agent.close();
			second.host.dispose();
		}
	}
	const line: RunResult = {
		id: String(first.files.device.id ?? ''),
		before: first.firmware.version,
		after,
		update: result.update ?? null,
		outcome: result.outcome,
		reason: result.reason ?? null,
	};
	if (result.message) line.message = result.message;
	return line;
}
