/*
 * The agent's configuration, in the shape of Ioto's files (device.json5, provision.json5 and the
 * update-related keys of ioto.json5), validated and normalised once into milliseconds, cron specs
 * and numbers the rest of the agent can trust. Every problem names its key.
 */
import { durationMs } from './schedule/duration';
import { parseCron, type CronSpec } from './schedule/cron';
import { Reason, UpdateError } from './reasons';
import type { BackoffOptions } from './backoff';

export interface AgentConfig {
	/** provision.json5: the device cloud's API base URL and this device's token. */
	provision: { api: string; token: string };
	/** device.json5: sent with every check-in; the cloud's policies match on it. */
	device: Record<string, unknown>;
	/** ioto.json5 `services`: `update: false` keeps the scheduled checks off. */
	services?: { update?: boolean };
	/** ioto.json5 `update`, plus Updraft's own keys (chunkSize, confirm, confirmDeadline, retry). */
	update?: {
		enable?: boolean;
		period?: string | number;
		schedule?: string;
		jitter?: string | number;
		apply?: string;
		/** Milliseconds to pause after each chunk (Ioto caps it at 5 s). */
		throttle?: number;
		/** Bytes per read from the image stream: the agent's one image buffer. Default 4096. */
		chunkSize?: number;
		/** 'auto': the agent confirms a trial boot after its self-test; 'app': the app calls confirm(). */
		confirm?: 'auto' | 'app';
		/** How long a trial boot may take to confirm before it is rolled back. Default 2 mins. */
		confirmDeadline?: string | number;
		/** Attempts per cycle for the check-in and for the download; backoff bounds. */
		retry?: { attempts?: number; base?: string | number; cap?: string | number };
		/** 'required' (default): only signed releases; 'optional': unsigned ones too (a plain Ioto cloud). */
		signatures?: 'required' | 'optional';
		/** Trusted release-signing public keys: base64 of the raw 65-byte P-256 point each. */
		keys?: string[];
		/** Valid signatures by distinct trusted keys a release needs. Default 1. */
		threshold?: number;
	};
	/** ioto.json5 `timeouts` (api, download) plus connect-to-first-byte and idle limits. */
	timeouts?: { api?: string | number; download?: string | number; idle?: string | number };
}

export interface AgentSettings {
	provision: { api: string; token: string };
	device: Record<string, unknown>;
	deviceId: string;
	scheduled: boolean;
	period: number;
	schedule: CronSpec;
	jitter: number;
	apply: CronSpec;
	throttle: number;
	chunkSize: number;
	confirm: 'auto' | 'app';
	confirmDeadline: number;
	attempts: number;
	backoff: BackoffOptions;
	signatures: 'required' | 'optional';
	keys: string[];
	threshold: number;
	timeouts: { api: number; download: number; idle: number };
}

function fault(message: string): UpdateError {
	return new UpdateError(Reason.CONFIG_ERROR, message);
}

function duration(value: unknown, fallback: number, key: string): number {
	if (value === undefined) return fallback;
	try {
		return durationMs(value, key);
	} catch (error) {
		throw fault((error as Error).message);
	}
}

function cron(value: unknown, fallback: string, key: string): CronSpec {
	try {
		return parseCron(value === undefined ? fallback : (value as string));
	} catch (error) {
		throw fault(`${key}: ${(error as Error).message}`);
	}
}

export function readSettings(config: AgentConfig): AgentSettings {
	if (!config || typeof config !== 'object') throw fault('agent config is missing');
	const { provision, device } = config;
	if (!provision || typeof provision.api !== 'string' || !/^https:\/\//i.test(provision.api)) {
		throw fault('provision.api must be the https URL of the device cloud');
	}
	if (typeof provision.token !== 'string' || !provision.token) throw fault('provision.token is missing');
	if (!device || typeof device !== 'object' || Array.isArray(device)) throw fault('device properties (device.json5) are missing');
	const update = config.update ?? {};
	const timeouts = config.timeouts ?? {};
	const chunkSize = update.chunkSize ?? 4096;
	if (!Number.isInteger(chunkSize) || chunkSize < 256 || chunkSize > 65536) throw fault('update.chunkSize must be an integer from 256 to 65536');
	const throttle = update.throttle ?? 0;
	if (typeof throttle !== 'number' || !(throttle >= 0)) throw fault('update.throttle must be a number of milliseconds');
	if (update.confirm !== undefined && update.confirm !== 'auto' && update.confirm !== 'app') throw fault('update.confirm must be "auto" or "app"');
	const signatures = update.signatures ?? 'required';
	if (signatures !== 'required' && signatures !== 'optional') throw fault('update.signatures must be "required" or "optional"');
	const keys = update.keys ?? [];
	if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw fault('update.keys must be a list of base64 public keys');
	const threshold = update.threshold ?? 1;
	if (!Number.isInteger(threshold) || threshold < 1 || threshold > Math.max(1, keys.length)) {
		throw fault(`update.threshold must be an integer from 1 to the number of update.keys (${keys.length})`);
	}
	if (signatures === 'required' && keys.length === 0) throw fault('update.signatures is "required" but update.keys lists no trusted key');
	const attempts = update.retry?.attempts ?? 5;
	if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) throw fault('update.retry.attempts must be an integer from 1 to 100');
	return {
		provision: { api: provision.api.replace(/\/+$/, ''), token: provision.token },
		device,
		deviceId: typeof device.id === 'string' || typeof device.id === 'number' ? String(device.id) : '',
		scheduled: config.services?.update !== false && update.enable !== false,
		period: duration(update.period, 24 * 3_600_000, 'update.period'),
		schedule: cron(update.schedule, 'anytime', 'update.schedule'),
		jitter: duration(update.jitter, 0, 'update.jitter'),
		apply: cron(update.apply, 'anytime', 'update.apply'),
		throttle: Math.min(throttle, 5000),
		chunkSize,
		confirm: update.confirm ?? 'auto',
		confirmDeadline: duration(update.confirmDeadline, 120_000, 'update.confirmDeadline'),
		attempts,
		signatures,
		keys,
		threshold,
		backoff: { base: duration(update.retry?.base, 1000, 'update.retry.base'), cap: duration(update.retry?.cap, 300_000, 'update.retry.cap') },
		timeouts: {
			api: duration(timeouts.api, 30_000, 'timeouts.api'),
			download: duration(timeouts.download, 4 * 3_600_000, 'timeouts.download'),
			idle: duration(timeouts.idle, 60_000, 'timeouts.idle'),
		},
	};
}
