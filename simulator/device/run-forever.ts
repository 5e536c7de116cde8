/*
 * A simulated device left running: it boots, settles what a restart interrupted, and then its
 * agent keeps its own timetable (update.period, update.schedule, jitter, the apply window) on
 * the device clock, which can run many times faster than wall time. Every restart the agent
 * asks for is a reboot; an update script's `exit` ends the run, as does the caller's stop.
 */
import type { CycleResult } from '../../modules/agent';
import { powerOnSurviving, surviving, type RunOptions } from './run-device';

export interface ForeverOptions extends RunOptions {
	/** Resolves when the run should end (for example after some wall time, or on SIGINT). */
	until: Promise<void>;
	/** Each settled outcome, as the agent signals it. */
	onOutcome?: (result: CycleResult) => void;
}

export interface ForeverSummary {
	boots: number;
	outcomes: CycleResult[];
	version: string;
}

export async function runDeviceForever(dir: string, options: ForeverOptions): Promise<ForeverSummary> {
	const outcomes: CycleResult[] = [];
	const counter = { restarts: 0 };
	let halted = false;
	const halt = options.until.then(() => {
		halted = true;
		return 'halt' as const;
	});
	let boots = 0;
	let version = '';
	let clockStart = options.clockStart;
	while (!halted) {
		let requested: (what: 'restart' | 'stop') => void = () => {};
		const request = new Promise<'restart' | 'stop'>((resolve) => (requested = resolve));
		const session = await powerOnSurviving(dir, {
			...options,
			clockStart,
			onPowerRequest: (what) => requested(what),
			onAgent(agent) {
				agent.watch('update:outcome', (result: CycleResult) => {
					outcomes.push(result);
					options.onOutcome?.(result);
				});
				options.onAgent?.(agent);
			},
		}, counter);
		boots++;
		version = session.firmware.version;
		try {
			await surviving(() => session.agent.boot());
			if (!session.host.restartRequested) await surviving(() => session.agent.start());
			const what = session.host.restartRequested ? 'restart' : await Promise.race([request, halt]);
			if (what !== 'restart') break;
		} finally {
			// The device's clock (RTC, SNTP) keeps its time over the restart.
			clockStart = session.host.ports.clock.now();
			await session.powerOff();
		}
	}
	return { boots, outcomes, version };
}
