/*
 * The agent's own timetable, as Ioto runs it: a check when update.period has passed since the
 * last one, inside the update.schedule cron window, plus a random share of update.jitter so a
 * fleet does not call in at the same second; a deferred image applied when the update.apply
 * window opens. Nothing runs when services.update or update.enable is false ("protection in
 * case an update fails and the device loops continually updating").
 *
 * All waiting is on the clock port, so the simulator can run it on an accelerated clock.
 */
import type { ClockPort, LogPort } from './ports';
import type { CycleResult, UpdraftAgent } from './agent';

export class Scheduler {
	#agent: UpdraftAgent;
	#clock: ClockPort;
	#log: LogPort | undefined;
	#timer: number | undefined;
	#running = false;
	/** A watcher deferred the image: not before this time (ms). */
	#deferredUntil = 0;

	constructor(agent: UpdraftAgent, clock: ClockPort, log?: LogPort) {
		this.#agent = agent;
		this.#clock = clock;
		this.#log = log;
	}

	get running(): boolean {
		return this.#running;
	}

	/** Start the timetable; returns false (and does nothing) when updates are switched off. */
	start(): boolean {
		if (this.#running) return true;
		if (!this.#agent.settings.scheduled) {
			this.#log?.log('info', 'scheduled update checks are off (services.update / update.enable)');
			return false;
		}
		this.#running = true;
		this.#plan();
		return true;
	}

	stop(): void {
		this.#running = false;
		if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
		this.#timer = undefined;
	}

	#plan(): void {
		if (!this.#running) return;
		const now = this.#clock.now();
		const window = this.#agent.nextApplyTime(now);
		const apply = window === undefined ? undefined : Math.max(window, this.#deferredUntil);
		const check = this.#agent.nextCheckTime(now);
		const at = Math.min(check, apply ?? Infinity);
		if (at === Infinity) {
			this.#log?.log('info', 'no update check can ever be due (update.schedule matches no time)');
			return;
		}
		const job = apply !== undefined && apply <= check ? () => this.#agent.apply({ ask: true }) : () => this.#agent.check();
		this.#timer = this.#clock.setTimer(() => {
			this.#timer = undefined;
			void this.#run(job);
		}, Math.max(0, at - now));
	}

	async #run(job: () => Promise<CycleResult>): Promise<void> {
		try {
			const result = await job();
			// A watcher that defers without a time is asked again at the next check, not in a loop.
			this.#deferredUntil = result.outcome === 'deferred' && result.deferredBy === 'application'
				? result.until ?? this.#clock.now() + this.#agent.settings.period
				: 0;
		} catch (error) {
			this.#log?.log('warn', `scheduled update step failed: ${error instanceof Error ? error.message : String(error)}`);
		}
		this.#plan();
	}
}
