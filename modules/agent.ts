/*
 * The Updraft agent: checks in with the device cloud, streams an offered image into the inactive
 * slot while hashing it, verifies it, lets the application see it (device:update), switches the
 * boot slot, restarts, and settles and reports the outcome after the restart.
 *
 * Each step runs in a state of the persisted UpdateMachine; this file holds the work done in
 * each state, update-machine.ts holds which moves are legal and how a restart resumes.
 *
 * Events (watch/unwatch, Ioto's semantics, watcher called as fn(arg, data)):
 *   device:update    {version, update, size, checksum, slot}  verified image, before the switch
 *   update:progress  {version, received, total}               after each chunk written
 *   update:state     {state, version?}                        each state entered
 *   update:outcome   CycleResult                              when a cycle or boot settles
 */
import type { Ports, SlotWriter } from './ports';
import type { ReleaseOffer } from './checkin';
import type { HttpResponse } from './http/client';
import { checkinBody, parseCheckinAnswer, CheckinError } from './checkin';
import { httpRequest, HttpError } from './http/client';
import { utf8Encode, toHex } from './bytes';
import { EventBus, type Watcher } from './events';
import { isNewer } from './semver';
import { Reason, UpdateError, type ReasonCode } from './reasons';
import { UpdateMachine, type UpdateState } from './update-machine';
import { AGENT_VERSION } from './version';

export interface AgentConfig {
	/** provision.json5: the device cloud's API base URL and this device's token. */
	provision: { api: string; token: string };
	/** device.json5: sent with every check-in; the cloud's policies match on it. */
	device: Record<string, unknown>;
	/** Bytes per read from the image stream (the agent's only per-update buffer). Default 4096. */
	chunkSize?: number;
	/** ioto.json5 timeouts, in milliseconds. */
	timeouts?: { api?: number; download?: number; idle?: number };
}

export type Outcome = 'updated' | 'none' | 'rejected' | 'failed' | 'restarting';

/** What a cycle (check) or a boot settled on. */
export interface CycleResult {
	outcome: Outcome;
	reason?: ReasonCode;
	message?: string;
	/** The release worked on, when there was one. */
	update?: string;
	version?: string;
}

/** The update report body, Ioto's {id, update, success} plus reason and the running version. */
interface PendingReport {
	id: string;
	update: string;
	success: boolean;
	reason?: string;
	version: string;
}

const REPORT_KEY = 'report';
const LAST_CHECK_KEY = 'lastCheck';
const DEFAULT_CHUNK = 4096;
const DEFAULTS = { api: 30_000, download: 4 * 3600_000, idle: 60_000 };

export class UpdraftAgent {
	#ports: Ports;
	#config: AgentConfig;
	#events: EventBus;
	#machine: UpdateMachine;
	#busy = false;

	constructor(ports: Ports, config: AgentConfig) {
		validateConfig(config);
		this.#ports = ports;
		this.#config = config;
		this.#events = new EventBus((name, error) => this.#log('error', `watcher of ${name} threw: ${describe(error)}`));
		this.#machine = UpdateMachine.load(ports.store, ports.clock);
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
	 * Settle what a restart interrupted. Call once at start-up, before check(). Returns the outcome
	 * of an update that was in flight, or undefined when there was none.
	 */
	async boot(): Promise<CycleResult | undefined> {
		const machine = this.#machine;
		const interrupted = machine.bootedFrom;
		let result: CycleResult | undefined;
		if (machine.state === 'activating') {
			const offer = machine.offer as ReleaseOffer;
			const running = this.#ports.system.version();
			this.#enter('idle');
			result = running === offer.version
				? { outcome: 'updated', update: offer.update, version: offer.version }
				: fail(Reason.ACTIVATION_FAILED, `expected ${offer.version} after the restart, running ${running}`, offer);
			this.#queueReport(offer, result);
		} else if (interrupted !== 'idle' && interrupted !== 'checking') {
			result = { outcome: 'failed', reason: Reason.INTERRUPTED, message: `restarted while ${interrupted}` };
		}
		if (result) this.#settled(result);
		await this.#deliverReport();
		return result;
	}

	/**
	 * One full cycle: check in, and when a release is offered download, verify, announce and
	 * activate it. Resolves with outcome 'restarting' after asking the system to restart into the
	 * new slot. Never throws for network, cloud or image faults: they become a failed outcome and
	 * leave the running slot untouched.
	 */
	async check(): Promise<CycleResult> {
		if (this.#busy) throw new Error('an update cycle is already running');
		if (this.#machine.state !== 'idle') throw new Error(`cannot check while ${this.#machine.state}; call boot() first`);
		this.#busy = true;
		try {
			await this.#deliverReport();
			const result = await this.#cycle();
			this.#settled(result);
			return result;
		} finally {
			this.#busy = false;
		}
	}

	async #cycle(): Promise<CycleResult> {
		const { system, store, clock } = this.#ports;
		const running = system.version();
		this.#enter('checking', { from: running });
		let offer: ReleaseOffer | undefined;
		try {
			const answer = await this.#checkin(running);
			store.set(LAST_CHECK_KEY, String(clock.now()));
			if (answer.kind === 'none') {
				this.#enter('idle');
				return { outcome: 'none', message: answer.message };
			}
			offer = answer.offer;
			if (!isNewer(offer.version, running)) {
				throw new UpdateError(Reason.DOWNGRADE_REFUSED, `offered ${offer.version}, running ${running}`);
			}
			this.#enter('downloading', { offer });
			const slot = await this.#download(offer);
			try {
				this.#enter('verifying');
				this.#verify(offer, slot.digest);
				this.#enter('ready');
				await this.#events.signal('device:update', {
					version: offer.version, update: offer.update, size: slot.size, checksum: offer.checksum, slot: slot.writer.label,
				});
				this.#enter('activating');
				try {
					slot.writer.activate();
				} catch (error) {
					throw new UpdateError(Reason.FLASH_ERROR, `cannot switch to ${slot.writer.label}: ${describe(error)}`);
				}
			} finally {
				slot.writer.close();
			}
			this.#log('info', `activated ${offer.version} in ${slot.writer.label}; restarting`);
			system.restart();
			return { outcome: 'restarting', update: offer.update, version: offer.version };
		} catch (error) {
			const result = toResult(error, offer);
			// Nothing before a successful activate() touched the boot record: back to idle is safe.
			if (this.#machine.state !== 'idle') this.#enter('idle');
			if (offer) {
				this.#queueReport(offer, result);
				await this.#deliverReport();
			}
			return result;
		}
	}

	async #checkin(running: string) {
		const { provision } = this.#config;
		const body = utf8Encode(checkinBody(this.#config.device, running, AGENT_VERSION));
		const response = await this.#request(`${trimSlash(provision.api)}/tok/provision/update`, 'POST', body, this.#timeout('api'));
		try {
			if (response.status !== 200) {
				const text = await response.text(4096).catch(() => '');
				throw new UpdateError(Reason.CHECKIN_REFUSED, `check-in answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
			}
			return parseCheckinAnswer(await response.json());
		} finally {
			response.close();
		}
	}

	/** Stream the image into the inactive slot, hashing as it goes; no copy of the image in RAM. */
	async #download(offer: ReleaseOffer): Promise<{ writer: SlotWriter; digest: string; size: number }> {
		const { flash, digest: digests } = this.#ports;
		const response = await this.#request(offer.url, 'GET', undefined, this.#timeout('download'));
		let writer: SlotWriter | undefined;
		try {
			if (response.status !== 200) {
				throw new UpdateError(Reason.DOWNLOAD_FAILED, `image download answered ${response.status}`);
			}
			const size = declaredLength(response, offer);
			try {
				writer = flash.openInactive(size);
			} catch (error) {
				const reason = error instanceof RangeError ? Reason.NOT_ENOUGH_SPACE : Reason.FLASH_ERROR;
				throw new UpdateError(reason, `cannot open the inactive slot for ${size} bytes: ${describe(error)}`);
			}
			const digest = digests.create('SHA256');
			let received = 0;
			for (let chunk = await response.read(); chunk; chunk = await response.read()) {
				if (received + chunk.byteLength > size) {
					throw new UpdateError(Reason.BAD_RESPONSE, `image is longer than the declared ${size} bytes`);
				}
				try {
					writer.write(chunk, received);
				} catch (error) {
					throw new UpdateError(Reason.FLASH_ERROR, `write at ${received} failed: ${describe(error)}`);
				}
				digest.write(chunk);
				received += chunk.byteLength;
				this.#events.signalSync('update:progress', { version: offer.version, received, total: size });
			}
			if (received !== size) {
				throw new UpdateError(Reason.CONNECTION_LOST, `image ended after ${received} of ${size} bytes`);
			}
			return { writer, digest: toHex(digest.close()), size };
		} catch (error) {
			writer?.close();
			throw error;
		} finally {
			response.close();
		}
	}

	#verify(offer: ReleaseOffer, digest: string): void {
		if (digest !== offer.checksum) {
			throw new UpdateError(Reason.INTEGRITY_CHECK_FAILURE, `image SHA-256 ${digest} does not match the release checksum ${offer.checksum}`);
		}
	}

	#request(url: string, method: string, body: Uint8Array | undefined, timeout: number): Promise<HttpResponse> {
		const headers: Record<string, string> = { Authorization: `bearer ${this.#config.provision.token}` };
		if (body) headers['Content-Type'] = 'application/json';
		return httpRequest(this.#ports.network, this.#ports.clock, {
			url,
			method,
			headers: method === 'GET' ? {} : headers,
			body,
			timeout,
			idleTimeout: this.#config.timeouts?.idle ?? DEFAULTS.idle,
			readSize: this.#config.chunkSize ?? DEFAULT_CHUNK,
		});
	}

	#timeout(kind: 'api' | 'download'): number {
		return this.#config.timeouts?.[kind] ?? DEFAULTS[kind];
	}

	#enter(state: UpdateState, details?: { offer?: ReleaseOffer; from?: string }): void {
		this.#machine.enter(state, details);
		this.#events.signalSync('update:state', { state, version: this.#machine.offer?.version });
	}

	#settled(result: CycleResult): void {
		const level = result.outcome === 'failed' || result.outcome === 'rejected' ? 'warn' : 'info';
		this.#log(level, `update ${result.outcome}${result.reason ? ` (${result.reason})` : ''}${result.message ? `: ${result.message}` : ''}`);
		this.#events.signalSync('update:outcome', result);
	}

	/** Keep the report in the store until the cloud has it, so it survives a restart. */
	#queueReport(offer: ReleaseOffer, result: CycleResult): void {
		const report: PendingReport = {
			id: String(this.#config.device.id ?? ''),
			update: offer.update,
			success: result.outcome === 'updated',
			version: this.#ports.system.version(),
		};
		if (result.reason) report.reason = result.reason;
		this.#ports.store.set(REPORT_KEY, JSON.stringify(report));
	}

	async #deliverReport(): Promise<void> {
		const text = this.#ports.store.get(REPORT_KEY);
		if (text === undefined) return;
		try {
			const url = `${trimSlash(this.#config.provision.api)}/tok/provision/updateReport`;
			const response = await this.#request(url, 'POST', utf8Encode(text), this.#timeout('api'));
			try {
				if (response.status >= 200 && response.status < 300) this.#ports.store.delete(REPORT_KEY);
				else if (response.status >= 400 && response.status < 500) {
					// The cloud will never take this report; keeping it would resend it forever.
					this.#log('warn', `update report refused (${response.status}); dropped`);
					this.#ports.store.delete(REPORT_KEY);
				}
			} finally {
				response.close();
			}
		} catch (error) {
			this.#log('warn', `update report not delivered yet: ${describe(error)}`);
		}
	}

	#log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
		this.#ports.log?.log(level, message);
	}
}

function validateConfig(config: AgentConfig): void {
	const fault = (message: string) => new UpdateError(Reason.CONFIG_ERROR, message);
	if (!config || typeof config !== 'object') throw fault('agent config is missing');
	if (!config.provision || typeof config.provision.api !== 'string' || !config.provision.api) {
		throw fault('provision.api (the device cloud URL) is missing');
	}
	if (typeof config.provision.token !== 'string' || !config.provision.token) throw fault('provision.token is missing');
	if (!config.device || typeof config.device !== 'object') throw fault('device properties (device.json5) are missing');
	if (config.chunkSize !== undefined && !(Number.isInteger(config.chunkSize) && config.chunkSize >= 256 && config.chunkSize <= 65536)) {
		throw fault('chunkSize must be an integer from 256 to 65536');
	}
}

/** The image length: Content-Length, cross-checked with the size the cloud announced. */
function declaredLength(response: HttpResponse, offer: ReleaseOffer): number {
	const header = response.headers['content-length'];
	const length = header === undefined ? undefined : Number(header);
	if (length !== undefined && offer.size !== undefined && length !== offer.size) {
		throw new UpdateError(Reason.BAD_RESPONSE, `image is ${length} bytes, the release says ${offer.size}`);
	}
	const size = length ?? offer.size;
	if (size === undefined) throw new UpdateError(Reason.BAD_RESPONSE, 'image length unknown (no Content-Length, no size)');
	if (size === 0) throw new UpdateError(Reason.BAD_RESPONSE, 'image is empty');
	return size;
}

function toResult(error: unknown, offer: ReleaseOffer | undefined): CycleResult {
	if (error instanceof UpdateError) return fail(error.reason, error.message, offer, error.reason === Reason.INTEGRITY_CHECK_FAILURE || error.reason === Reason.DOWNGRADE_REFUSED);
	if (error instanceof CheckinError) return fail(Reason.BAD_RESPONSE, error.message, offer);
	if (error instanceof HttpError) {
		const reason = error.code === 'CONNECT_FAILED' || error.code === 'TLS' || error.code === 'TIMEOUT' || error.code === 'IDLE_TIMEOUT' || error.code === 'CONNECTION_CLOSED' || error.code === 'TRUNCATED_BODY'
			? Reason.CONNECTION_LOST
			: Reason.BAD_RESPONSE;
		return fail(reason, error.message, offer);
	}
	return fail(Reason.BAD_RESPONSE, describe(error), offer);
}

function fail(reason: ReasonCode, message: string, offer?: ReleaseOffer, rejected = false): CycleResult {
	const result: CycleResult = { outcome: rejected ? 'rejected' : 'failed', reason, message };
	if (offer) {
		result.update = offer.update;
		result.version = offer.version;
	}
	return result;
}

function trimSlash(url: string): string {
	return url.endsWith('/') ? url.slice(0, -1) : url;
}

function describe(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}
