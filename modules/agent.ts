/*
 * The Updraft agent: checks in with the device cloud, streams an offered image into the inactive
 * slot while hashing it, verifies it, lets the application accept, defer or veto it
 * (device:update), switches the boot slot, restarts, confirms the new firmware after a trial boot
 * or rolls it back, and reports every outcome.
 *
 * Each step runs in a state of the persisted UpdateMachine (update-machine.ts holds which moves
 * are legal and how a restart resumes); downloading is download.ts, the cloud calls cloud-api.ts,
 * what may be installed release-guard.ts, the scheduled loop scheduler.ts.
 *
 * Events (watch/unwatch, Ioto's semantics, watcher called as fn(arg, data)):
 *   device:update    {version, update, size, checksum, slot}  verified image, before the switch;
 *                    a watcher may return 'veto' | 'defer' | {action, reason?, until?} (or a promise)
 *   device:selftest  {version, update}  during a trial boot; false, {ok: false} or a throw fails it
 *   update:trial     {version, update, deadline}             the new firmware runs on trial
 *   update:progress  {version, received, total}              after each chunk written
 *   update:state     {state, version?}                       each state entered
 *   update:outcome   CycleResult                             when a cycle or boot settles
 */
import type { Ports } from './ports';
import type { ReleaseOffer } from './checkin';
import { EventBus, type Watcher } from './events';
import { readSettings, type AgentConfig, type AgentSettings } from './settings';
import { CloudApi } from './cloud-api';
import { Downloader, clearJournal, readJournal } from './download';
import { ReleaseGuard } from './release-guard';
import { ReportQueue } from './report-queue';
import { verdictOf } from './verdict';
import { checkImage, trustedKeys, verifyManifest, type ReleaseManifest, type TrustedKey } from './release-manifest';
import { matches, nextMatch } from './schedule/cron';
import { seededRandom } from './random';
import { toHex } from './bytes';
import { Reason, UpdateError, type ReasonCode } from './reasons';
import { UpdateMachine, type UpdateState } from './update-machine';

export type { AgentConfig } from './settings';

export type Outcome = 'updated' | 'none' | 'rejected' | 'failed' | 'restarting' | 'rolledback' | 'deferred';

/** What a cycle (check), an apply or a boot settled on. */
export interface CycleResult {
	outcome: Outcome;
	reason?: ReasonCode;
	message?: string;
	/** The release worked on, when there was one. */
	update?: string;
	version?: string;
	/** For a deferred image: when the agent will apply it (ms), if it knows. */
	until?: number;
	/** For a deferred image: who deferred it. */
	deferredBy?: 'application' | 'window';
}

const LAST_CHECK_KEY = 'lastCheck';

/** Failures that are the device refusing the release (outcome 'rejected'), not faults. */
const REJECTIONS: ReadonlySet<string> = new Set([
	Reason.INTEGRITY_CHECK_FAILURE, Reason.VETOED, Reason.SIGNATURE_MISSING, Reason.SIGNATURE_UNKNOWN_KEY, Reason.SIGNATURE_INVALID,
	Reason.MANIFEST_TAMPERED, Reason.MANIFEST_EXPIRED, Reason.MANIFEST_MISMATCH, Reason.IMAGE_TAMPERED,
]);

export class UpdraftAgent {
	#ports: Ports;
	#settings: AgentSettings;
	#events: EventBus;
	#machine: UpdateMachine;
	#api: CloudApi;
	#downloader: Downloader;
	#guard: ReleaseGuard;
	#reports: ReportQueue;
	#keys: TrustedKey[];
	#busy = false;
	#trialDecision: ((ok: boolean, reason?: string) => void) | undefined;
	/** The trial's self-test failed only because the cloud could not be reached. */
	#unreachable = false;

	constructor(ports: Ports, config: AgentConfig) {
		this.#settings = readSettings(config);
		this.#ports = ports;
		this.#events = new EventBus((name, error) => this.#log('error', `watcher of ${name} threw: ${describe(error)}`));
		this.#machine = UpdateMachine.load(ports.store, ports.clock);
		const random = seededRandom(`${this.#settings.deviceId}:${ports.clock.now()}`);
		this.#api = new CloudApi(ports, this.#settings, random);
		this.#downloader = new Downloader(ports, this.#settings, this.#api, this.#events);
		this.#guard = new ReleaseGuard(ports.store);
		this.#reports = new ReportQueue(ports.store);
		this.#keys = trustedKeys(ports.digest, this.#settings.keys);
		this.random = random;
	}

	/** This device's jitter source (seeded by device id and clock; XS's Math.random is not). */
	readonly random: () => number;

	get settings(): Readonly<AgentSettings> {
		return this.#settings;
	}

	watch(name: string, fn: Watcher, data?: unknown): void {
		this.#events.watch(name, fn, data);
	}

	unwatch(name: string, fn: Watcher, data?: unknown): void {
		this.#events.unwatch(name, fn, data);
	}

	get state(): UpdateState {
		return this.#machine.state;
	}

	/** Time of the last check-in attempt (ms), or undefined before the first one. */
	get lastCheck(): number | undefined {
		const text = this.#ports.store.get(LAST_CHECK_KEY);
		return text === undefined ? undefined : Number(text);
	}

	/**
	 * Settle what a restart interrupted. Call once at start-up, before anything else. On a trial
	 * boot of new firmware this runs the self-test and confirms or rolls back (which restarts).
	 * Returns the outcome of the update that was in flight, or undefined when there was none.
	 */
	async boot(): Promise<CycleResult | undefined> {
		try {
			let result: CycleResult | undefined;
			const state = this.#machine.state;
			const interrupted = this.#machine.bootedFrom;
			if (state === 'activating' || state === 'confirming') {
				result = await this.#settleTrial();
			} else if (interrupted === 'downloading' || interrupted === 'verifying') {
				const journal = readJournal(this.#ports);
				result = { outcome: 'failed', reason: Reason.INTERRUPTED, message: `restarted while ${interrupted}${journal ? `; ${journal.written} of ${journal.size} bytes kept` : ''}` };
			}
			if (result) this.#settled(result);
			await this.#deliverReports();
			return result;
		} finally {
			// The trial check-in and the report after it share a connection; it ends here.
			this.#api.closeConnections();
		}
	}

	/**
	 * One full cycle: check in, and when a release is offered download, verify, announce and
	 * activate it. Resolves with 'restarting' after asking the system to restart into the new
	 * slot. Network, cloud and image faults never throw: they become a failed or rejected outcome
	 * and leave the running slot untouched.
	 */
	check(): Promise<CycleResult> {
		return this.#exclusive(async () => {
			if (this.#machine.state !== 'idle' && this.#machine.state !== 'ready') {
				throw new Error(`cannot check while ${this.#machine.state}; call boot() first`);
			}
			await this.#deliverReports();
			return this.#cycle();
		});
	}

	/**
	 * Apply a verified image that was deferred (by a watcher or the update.apply window). The
	 * image is checked again in the slot first. With `ask`, the device:update watchers decide
	 * again (the scheduler does this when the apply window opens); an application calling apply()
	 * itself has decided already.
	 */
	apply(options: { ask?: boolean } = {}): Promise<CycleResult> {
		return this.#exclusive(async () => {
			const offer = this.#machine.offer;
			if (this.#machine.state !== 'ready' || !offer) return { outcome: 'none', message: 'no verified image is waiting' } as CycleResult;
			return this.#guarded(offer, () => this.#applyReady(offer, options.ask ?? false));
		});
	}

	/** During a trial boot with update.confirm 'app': keep the new firmware. */
	confirm(): void {
		if (!this.#trialDecision) throw new Error('no trial boot is waiting for confirmation');
		this.#trialDecision(true);
	}

	/**
	 * Go back to the previous firmware: during a trial boot this fails the trial; otherwise it
	 * switches to the other slot if it holds a bootable image. The device restarts.
	 */
	rollback(reason = 'requested by the application'): void {
		if (this.#trialDecision) {
			this.#trialDecision(false, reason);
			return;
		}
		if (this.#busy || this.#machine.state !== 'idle') throw new Error(`cannot roll back while ${this.#machine.state}`);
		this.#ports.flash.rollback();
		this.#log('warn', `rolling back: ${reason}`);
		this.#ports.system.restart();
	}

	/** When the next scheduled check is due (ms), per update.period, schedule and jitter. */
	nextCheckTime(now = this.#ports.clock.now()): number {
		const s = this.#settings;
		if (!s.scheduled) return Infinity;
		const last = this.lastCheck;
		const due = last === undefined ? now : Math.max(now, last + s.period);
		const at = nextMatch(s.schedule, due);
		return at === Infinity ? at : at + Math.floor(this.random() * s.jitter);
	}

	/** When a deferred image may be applied (the update.apply window), or undefined. */
	nextApplyTime(now = this.#ports.clock.now()): number | undefined {
		return this.#machine.state === 'ready' ? nextMatch(this.#settings.apply, now) : undefined;
	}

	async #exclusive(work: () => Promise<CycleResult>): Promise<CycleResult> {
		if (this.#busy) throw new Error('an update cycle is already running');
		this.#busy = true;
		try {
			const result = await work();
			this.#settled(result);
			return result;
		} finally {
			// A step's requests share connections; none stays open until the next step.
			this.#api.closeConnections();
			this.#busy = false;
		}
	}

	async #cycle(): Promise<CycleResult> {
		const { system, store, clock } = this.#ports;
		const running = system.version();
		const deferred = this.#machine.state === 'ready' ? this.#machine.offer : undefined;
		this.#enter('checking', { from: running });
		let offer: ReleaseOffer | undefined;
		return this.#guarded(undefined, async () => {
			// Ioto's rule: every attempt counts as the last check, so a failing cloud is asked again
			// a full period later, not in a loop.
			store.set(LAST_CHECK_KEY, String(clock.now()));
			const answer = await this.#api.checkin(running);
			if (answer.kind === 'none') {
				this.#enter('idle');
				return { outcome: 'none', message: answer.message };
			}
			offer = answer.offer;
			if (deferred && deferred.update === offer.update && deferred.checksum === offer.checksum) {
				this.#enter('ready', { offer: deferred });
				return this.#applyReady(deferred, true);
			}
			try {
				this.#guard.check(offer, running);
			} catch (error) {
				this.#enter('idle');
				// Refusals decided here are not news to the cloud: no report, no retry storm.
				return fail((error as UpdateError).reason, (error as Error).message, offer, true);
			}
			// Who made this release, checked before anything is erased.
			const manifest = this.#verifySigned(offer);
			this.#enter('downloading', { offer });
			const image = await this.#downloader.download(offer);
			try {
				this.#enter('verifying');
				if (manifest) {
					try {
						checkImage(manifest, image.size, image.digest);
					} catch (error) {
						clearJournal(this.#ports);
						throw error;
					}
				}
				if (image.digest !== offer.checksum) {
					clearJournal(this.#ports);
					throw new UpdateError(Reason.INTEGRITY_CHECK_FAILURE, `image SHA-256 ${image.digest} does not match the release checksum ${offer.checksum}`);
				}
				this.#enter('ready');
			} finally {
				image.writer.close();
			}
			return this.#decide(offer, image.size, image.writer.label);
		}, () => offer);
	}

	/** The signed manifest of `offer` when it has one the device can check; throws on any doubt. */
	#verifySigned(offer: ReleaseOffer): ReleaseManifest | undefined {
		const required = this.#settings.signatures === 'required';
		if (!offer.signed) {
			if (required) throw new UpdateError(Reason.SIGNATURE_MISSING, `release ${offer.update} (${offer.version}) is not signed, and this device takes signed releases only`);
			return undefined;
		}
		// 'optional' without trusted keys: a plain Ioto cloud's answer; nothing to check it against.
		if (!required && this.#keys.length === 0) return undefined;
		return verifyManifest(offer, offer.signed, {
			keys: this.#keys,
			threshold: this.#settings.threshold,
			signature: this.#ports.signature,
			product: String(this.#settings.device.product ?? ''),
			now: this.#ports.clock.now(),
		});
	}

	/**
	 * Ask the application, then activate, defer or drop the verified image. Watchers run before
	 * the switch; a veto wins over a defer, which wins over accept.
	 */
	async #decide(offer: ReleaseOffer, size: number, slot: string): Promise<CycleResult> {
		const results = await this.#events.signal('device:update', { version: offer.version, update: offer.update, size, checksum: offer.checksum, slot });
		const verdict = verdictOf(results);
		if (verdict.action === 'veto') {
			this.#guard.block(offer, Reason.VETOED);
			clearJournal(this.#ports);
			this.#enter('idle');
			throw new UpdateError(Reason.VETOED, verdict.reason ?? 'a device:update watcher vetoed the release');
		}
		const now = this.#ports.clock.now();
		if (verdict.action === 'defer') {
			return { outcome: 'deferred', deferredBy: 'application', update: offer.update, version: offer.version, until: verdict.until, message: verdict.reason ?? 'deferred by the application' };
		}
		if (!matches(this.#settings.apply, new Date(now))) {
			return { outcome: 'deferred', deferredBy: 'window', update: offer.update, version: offer.version, until: nextMatch(this.#settings.apply, now), message: 'outside the update.apply window' };
		}
		return this.#activate(offer);
	}

	/** A deferred image: check it is still intact in the slot, then decide again. */
	async #applyReady(offer: ReleaseOffer, ask: boolean): Promise<CycleResult> {
		const journal = readJournal(this.#ports);
		const size = offer.size ?? journal?.size;
		if (!size || !journal || journal.update !== offer.update || journal.written !== size) {
			this.#enter('idle');
			throw new UpdateError(Reason.INTERRUPTED, 'the deferred image is no longer complete in the slot');
		}
		const keep = Math.floor(size / journal.eraseSize) * journal.eraseSize;
		const writer = this.#ports.flash.openInactive(size, keep);
		try {
			const digest = this.#ports.digest.create('SHA256');
			for (let at = 0; at < size; at += this.#settings.chunkSize) digest.write(writer.read(at, Math.min(this.#settings.chunkSize, size - at)));
			if (toHex(digest.close()) !== offer.checksum) {
				clearJournal(this.#ports);
				this.#enter('idle');
				throw new UpdateError(Reason.INTEGRITY_CHECK_FAILURE, 'the deferred image changed in the slot since it was verified');
			}
		} finally {
			writer.close();
		}
		return ask ? this.#decide(offer, size, writer.label) : this.#activate(offer);
	}

	#activate(offer: ReleaseOffer): CycleResult {
		const journal = readJournal(this.#ports);
		const size = offer.size ?? journal?.size ?? 0;
		const keep = journal ? Math.floor(size / journal.eraseSize) * journal.eraseSize : 0;
		this.#enter('activating');
		const writer = this.#ports.flash.openInactive(size, keep);
		let next: ReturnType<typeof writer.activate>;
		try {
			next = writer.activate();
		} catch (error) {
			throw new UpdateError(Reason.FLASH_ERROR, `cannot switch to ${writer.label}: ${describe(error)}`);
		} finally {
			writer.close();
		}
		clearJournal(this.#ports);
		const result: CycleResult = { outcome: 'restarting', update: offer.update, version: offer.version };
		if (next === 'continue') {
			// The install script keeps this process running; the next start settles the outcome.
			result.message = 'installed; the new version runs from the next start';
			this.#log('info', `installed ${offer.version}; it runs from the next start`);
		} else if (next === 'exit' && this.#ports.system.stop) {
			this.#log('info', `installed ${offer.version}; stopping as the update script asked`);
			this.#ports.system.stop();
		} else {
			this.#log('info', `activated ${offer.version} in ${writer.label}; restarting`);
			this.#ports.system.restart();
		}
		return result;
	}

	/** After the restart that followed an activation: which firmware runs, and on what terms. */
	async #settleTrial(): Promise<CycleResult> {
		const offer = this.#machine.offer as ReleaseOffer;
		const running = this.#ports.system.version();
		if (running !== offer.version) {
			// The bootloader went back to the old slot: the new firmware crashed or was reset before
			// it confirmed its trial, or would not boot at all.
			const reason = Reason.ROLLED_BACK;
			this.#guard.block(offer, reason);
			const result = fail(reason, `expected ${offer.version} after the restart, running ${running}`, offer);
			result.outcome = 'rolledback';
			this.#report(offer, result);
			this.#enter('idle');
			return result;
		}
		if (this.#ports.flash.runningState() !== 'trial') return this.#confirmed(offer);
		if (this.#machine.state === 'activating') this.#enter('confirming');
		const failure = await this.#selfTest(offer);
		if (!failure) {
			this.#ports.flash.confirm();
			return this.#confirmed(offer);
		}
		const result = fail(Reason.SELF_TEST_FAILED, failure, offer);
		result.outcome = 'rolledback';
		// Not reaching the cloud may be the network's fault, not the firmware's: like a rollback of
		// unknown cause, that gets one more attempt before the release is blocked.
		this.#guard.block(offer, this.#unreachable ? Reason.ROLLED_BACK : Reason.SELF_TEST_FAILED);
		// Reported as running the firmware it goes back to, which is what the cloud will see next.
		this.#report(offer, result, this.#machine.from);
		// Idle before the switch back: a cut in between boots the trial slot again, which the
		// bootloader rolls back by itself.
		this.#enter('idle');
		this.#ports.flash.rollback();
		this.#ports.system.restart();
		return result;
	}

	#confirmed(offer: ReleaseOffer): CycleResult {
		this.#guard.setFloor(offer.version);
		const result: CycleResult = { outcome: 'updated', update: offer.update, version: offer.version };
		this.#report(offer, result);
		this.#enter('idle');
		return result;
	}

	/** Undefined when the new firmware passes; otherwise why it failed. */
	async #selfTest(offer: ReleaseOffer): Promise<string | undefined> {
		const { clock } = this.#ports;
		const deadline = clock.now() + this.#settings.confirmDeadline;
		this.#events.signalSync('update:trial', { version: offer.version, update: offer.update, deadline });
		let timer = 0;
		const expired = new Promise<string>((resolve) => {
			timer = clock.setTimer(() => resolve(`not confirmed within ${this.#settings.confirmDeadline} ms`), this.#settings.confirmDeadline);
		});
		const test = this.#settings.confirm === 'app'
			? new Promise<string | undefined>((resolve) => {
				this.#trialDecision = (ok, reason) => resolve(ok ? undefined : reason ?? 'rejected by the application');
			})
			: this.#autoSelfTest(offer);
		try {
			return await Promise.race([test, expired]);
		} finally {
			clock.clearTimer(timer);
			this.#trialDecision = undefined;
		}
	}

	/** The app's device:selftest watchers, then proof that the new firmware still reaches the cloud. */
	async #autoSelfTest(offer: ReleaseOffer): Promise<string | undefined> {
		const results = await this.#events.signal('device:selftest', { version: offer.version, update: offer.update });
		for (const r of results) {
			if (r === false) return 'a device:selftest watcher failed';
			if (r instanceof Error) return `a device:selftest watcher threw: ${r.message}`;
			if (r && typeof r === 'object' && (r as { ok?: unknown }).ok === false) return `device:selftest: ${String((r as { reason?: unknown }).reason ?? 'failed')}`;
		}
		try {
			await this.#api.checkin(offer.version);
		} catch (error) {
			this.#unreachable = true;
			return `the new firmware cannot reach the device cloud: ${describe(error)}`;
		}
		return undefined;
	}

	/**
	 * Run a step of the flow; turn any failure into an outcome, back to idle, with a report when
	 * the cloud should hear of it. Nothing before a successful activate() touched the boot record,
	 * so going back to idle is always safe.
	 */
	async #guarded(known: ReleaseOffer | undefined, step: () => Promise<CycleResult>, offerNow: () => ReleaseOffer | undefined = () => known): Promise<CycleResult> {
		try {
			return await step();
		} catch (error) {
			const offer = offerNow() ?? known;
			const e = error instanceof UpdateError ? error : new UpdateError(Reason.BAD_RESPONSE, describe(error));
			const rejected = REJECTIONS.has(e.reason);
			const result = fail(e.reason, e.message, offer, rejected);
			if (this.#machine.state !== 'idle' && this.#machine.state !== 'ready') this.#enter('idle');
			if (offer && e.reason !== Reason.CHECKIN_REFUSED) {
				this.#report(offer, result);
				await this.#deliverReports();
			}
			return result;
		}
	}

	#enter(state: UpdateState, details?: { offer?: ReleaseOffer; from?: string }): void {
		this.#machine.enter(state, details);
		this.#events.signalSync('update:state', { state, version: this.#machine.offer?.version });
	}

	#settled(result: CycleResult): void {
		const level = result.outcome === 'failed' || result.outcome === 'rejected' || result.outcome === 'rolledback' ? 'warn' : 'info';
		this.#log(level, `update ${result.outcome}${result.reason ? ` (${result.reason})` : ''}${result.message ? `: ${result.message}` : ''}`);
		this.#events.signalSync('update:outcome', result);
	}

	#report(offer: ReleaseOffer, result: CycleResult, version = this.#ports.system.version()): void {
		const report = { id: this.#settings.deviceId, update: offer.update, success: result.outcome === 'updated', version } as {
			id: string; update: string; success: boolean; version: string; reason?: string;
		};
		if (result.reason) report.reason = result.reason;
		this.#reports.add(report);
	}

	async #deliverReports(): Promise<void> {
		await this.#reports.deliver((report) => this.#api.report(report)).catch((error) => this.#log('warn', `reports not delivered yet: ${describe(error)}`));
	}

	#log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
		this.#ports.log?.log(level, message);
	}
}

function fail(reason: ReasonCode, message: string, offer?: ReleaseOffer, rejected = false): CycleResult {
	const result: CycleResult = { outcome: rejected ? 'rejected' : 'failed', reason, message };
	if (offer) {
		result.update = offer.update;
		result.version = offer.version;
	}
	return result;
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
