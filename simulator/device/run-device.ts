/*
 * Simulated devices at work. `powerOn` runs the bootloader, builds the host's ports and starts
 * the agent on the chosen engine; `runDeviceOnce` is one check-in cycle with every restart it
 * causes: boot, settle what a previous restart interrupted (a trial boot confirms or rolls back,
 * which restarts again), check in once, and when the agent switched slots (or its engine
 * crashed), restart and boot until the device settles.
 */
import type { CycleResult } from '../../modules/agent';
import type { LogLevel } from '../../modules/ports';
import { Reason } from '../../modules/reasons';
import { createSimHost, devicePaths, type SimHost } from '../../hosts/sim/host';
import { readDeviceFiles, agentConfig, type DeviceFiles } from '../../hosts/sim/config';
import type { FaultInjector } from '../../hosts/sim/flash/faults';
import { startXsAgent, XsCrashError } from '../xs/xs-agent';
import { nodeAgent, type AgentHandle, type Engine } from './agent-handle';
import { bootDevice, deviceImageValidator, isScriptDevice, type BootedFirmware } from './boot';
import { scriptDevicePaths } from './device-folder';

export interface RunOptions {
	/** Which engine runs the agent; default 'xs', the engine of the device. */
	engine?: Engine;
	log?: (level: LogLevel, message: string) => void;
	/** Called with each agent started (after every restart), to add watchers. */
	onAgent?: (agent: AgentHandle) => void;
	/** Power cuts: seen by the bootloader, the flash and the store. */
	faults?: FaultInjector;
	/** Device time skips ahead this many times faster through long idle waits. */
	clockScale?: number;
	/** Device time at power-on; runs carry their clock over restarts. */
	clockStart?: number;
	/** Told when the agent asks for a restart or a stop. */
	onPowerRequest?: (request: 'restart' | 'stop') => void;
}

/** A powered-on device: its firmware, host ports and running agent. */
export interface Session {
	files: DeviceFiles;
	firmware: BootedFirmware;
	host: SimHost;
	agent: AgentHandle;
	/** Power off: stop the agent's engine, drop connections and timers. */
	powerOff(): Promise<void>;
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
	/** Restarts the cycle went through. */
	restarts: number;
}

/** Restarts one cycle may cause before the device is taken to be in a reboot loop. */
export const MAX_RESTARTS = 6;

/** The booted firmware crashed before its agent could run (a rehearsed 'crash-on-boot'). */
export class FirmwareCrash extends Error {
	constructor(version: string) {
		super(`firmware ${version} crashed while booting`);
		this.name = 'FirmwareCrash';
	}
}

/**
 * The application inside the simulated firmware, as its image rehearses it: a firmware that
 * fails or never finishes its self-test shows it through the agent's device:selftest event.
 */
export function installFirmwareApp(firmware: { behaviour?: string }, agent: Pick<AgentHandle, 'watch'>): void {
	if (firmware.behaviour === 'fail-selftest') agent.watch('device:selftest', () => ({ ok: false, reason: 'the sensor self-test failed' }));
	if (firmware.behaviour === 'hang-selftest') agent.watch('device:selftest', () => new Promise(() => {}));
}

export async function powerOn(dir: string, options: RunOptions = {}): Promise<Session> {
	const files = readDeviceFiles(devicePaths(dir).config);
	const firmware = bootDevice(dir, options.faults);
	if (firmware.behaviour === 'crash-on-boot') throw new FirmwareCrash(firmware.version);
	const host = createSimHost({
		dir,
		version: firmware.version,
		running: firmware,
		validate: deviceImageValidator(firmware.product),
		faults: options.faults,
		clockScale: options.clockScale,
		clockStart: options.clockStart,
		log: options.log,
		onPowerRequest: options.onPowerRequest,
		script: isScriptDevice(dir) ? { script: scriptDevicePaths(dir).script, download: scriptDevicePaths(dir).download } : undefined,
	});
	const config = agentConfig(files);
	try {
		const agent = options.engine === 'node'
			? nodeAgent(host.ports, config)
			: await startXsAgent(host.ports, config, { onPrint: (line) => options.log?.('debug', `xs: ${line}`) });
		installFirmwareApp(firmware, agent);
		options.onAgent?.(agent);
		return {
			files, firmware, host, agent,
			async powerOff() {
				await agent.close();
				host.dispose();
			},
		};
	} catch (error) {
		host.dispose();
		throw error;
	}
}

/** Run `step`; a crash of the agent's engine becomes a failed result instead of an exception. */
export async function surviving<T>(step: () => Promise<T>): Promise<T | CycleResult> {
	try {
		return await step();
	} catch (error) {
		if (!(error instanceof XsCrashError)) throw error;
		return { outcome: 'failed', reason: Reason.AGENT_CRASHED, message: error.message };
	}
}

const crashed = (r: CycleResult | undefined) => r?.reason === Reason.AGENT_CRASHED;

/** Power on, restarting while the firmware crashes at boot (the bootloader then rolls back). */
export async function powerOnSurviving(dir: string, options: RunOptions, counter: { restarts: number }): Promise<Session> {
	for (;;) {
		try {
			return await powerOn(dir, options);
		} catch (error) {
			if (!(error instanceof FirmwareCrash) || counter.restarts >= MAX_RESTARTS) throw error;
			options.log?.('warn', error.message);
			counter.restarts++;
		}
	}
}

export async function runDeviceOnce(dir: string, options: RunOptions = {}): Promise<RunResult> {
	const counter = { restarts: 0 };
	// What ran last, as the booted firmware left it in ioto.json5 (booting here would itself move a trial on).
	const before = String(readDeviceFiles(devicePaths(dir).config).ioto.version ?? '');
	let session = await powerOnSurviving(dir, options, counter);
	const first = session;
	let result: CycleResult | undefined;
	let checked = false;
	try {
		for (;;) {
			// Settle what the last start left (a trial boot may confirm, or roll back and restart).
			const settled = await surviving(() => session.agent.boot());
			if (settled) result = settled;
			if (!session.host.restartRequested && !crashed(settled) && !checked) {
				checked = true;
				result = await surviving(() => session.agent.check());
			}
			if (!session.host.restartRequested && !crashed(result)) break;
			if (++counter.restarts > MAX_RESTARTS) {
				result = { outcome: 'failed', reason: Reason.AGENT_CRASHED, message: `still restarting after ${MAX_RESTARTS} restarts` };
				break;
			}
			const lastResult = result;
			await session.powerOff();
			session = await powerOnSurviving(dir, options, counter);
			// A crash is settled by the next boot; keep the crash as the result if nothing else comes.
			result = lastResult;
			if (crashed(lastResult)) checked = true;
		}
	} finally {
		await session.powerOff();
	}
	const final = result ?? { outcome: 'none' as const };
	const line: RunResult = {
		id: String(first.files.device.id ?? ''),
		before,
		after: session.firmware.version,
		update: final.update ?? null,
		outcome: final.outcome,
		reason: final.reason ?? null,
		restarts: counter.restarts,
	};
	if (final.message) line.message = final.message;
	return line;
}
