/*
 * The host's configuration: the `updraft` object of the app manifest's "config" (read on the
 * device as mc/config), written by hand or generated from Ioto's files by `ioto-manifest`:
 *
 *   "config": { "updraft": {
 *     "version": "1.0.0",                                   this build's firmware version
 *     "provision": { "api": "https://…", "token": "…" },     provision.json5
 *     "device": { "id": "…", "product": "…", … },            device.json5
 *     "services": {…}, "update": {…}, "timeouts": {…},       the update keys of ioto.json5
 *                                                            (update.keys: trusted release keys)
 *     "ca": "updraft-ca.der",                                the cloud's CA (a data resource)
 *     "domain": "updraft",                                   preference domain
 *     "log": "info",
 *     "slotSize": 1966080, "flashPath": "/tmp/…/"             desktop builds only
 *   } }
 *
 * Everything is checked here, once, with errors that name the key.
 */
import type { AgentConfig } from '../../modules/agent';
import type { LogLevel } from '../../modules/ports';

export interface HostConfig {
	agent: AgentConfig;
	/** The firmware version of this build. */
	version: string;
	/** Name of the CA certificate resource (DER). */
	ca: string;
	domain: string;
	log: LogLevel;
	/** Desktop builds: the folder of the simulated flash (when given or file.root is known), and a slot's size. */
	flashPath: string | undefined;
	slotSize: number;
}

/** SemVer 2.0.0, from semver.org. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
/** Two slots of 0x1E0000 fit the 4 MB flash of most ESP32 modules; the desktop mirrors that. */
export const DEFAULT_SLOT_SIZE = 0x1e0000;

/** `config` is the whole mc/config object (its file.root is where desktop builds keep their flash). */
export function readHostConfig(config: unknown): HostConfig {
	const root = object(config, 'the app config (mc/config)');
	const u = object(root.updraft, 'config.updraft (add an "updraft" object to the app manifest\'s "config", or include the one ioto-manifest generates)');
	const key = (name: string) => `config.updraft.${name}`;

	const version = u.version;
	if (typeof version !== 'string' || !SEMVER.test(version)) throw new Error(`${key('version')} must be this build's SemVer version (e.g. "1.0.0"), not ${JSON.stringify(version)}`);
	const provision = object(u.provision, key('provision'));
	if (typeof provision.api !== 'string' || !/^https:\/\/[^/]/i.test(provision.api)) throw new Error(`${key('provision.api')} must be the https URL of the device cloud`);
	if (typeof provision.token !== 'string' || provision.token === '') throw new Error(`${key('provision.token')} is missing`);
	const device = object(u.device, key('device'));
	if (typeof device.id !== 'string' || device.id === '') throw new Error(`${key('device.id')} is missing`);

	const agent: AgentConfig = { provision: { api: provision.api, token: provision.token }, device: { ...device } };
	if (u.services !== undefined) agent.services = object(u.services, key('services')) as AgentConfig['services'];
	if (u.update !== undefined) agent.update = object(u.update, key('update')) as AgentConfig['update'];
	if (u.timeouts !== undefined) agent.timeouts = object(u.timeouts, key('timeouts')) as AgentConfig['timeouts'];

	const ca = u.ca ?? 'updraft-ca.der';
	if (typeof ca !== 'string' || !/^[\w.-]+$/.test(ca)) throw new Error(`${key('ca')} must name the CA certificate resource (DER), e.g. "updraft-ca.der"`);
	const domain = u.domain ?? 'updraft';
	if (typeof domain !== 'string' || domain.length === 0 || domain.length > 15) throw new Error(`${key('domain')} must be 1 to 15 characters (an NVS namespace)`);
	const log = u.log ?? 'info';
	if (!LEVELS.includes(log as LogLevel)) throw new Error(`${key('log')} must be one of ${LEVELS.join(', ')}`);

	const slotSize = u.slotSize ?? DEFAULT_SLOT_SIZE;
	if (typeof slotSize !== 'number' || !Number.isSafeInteger(slotSize) || slotSize <= 0 || slotSize % 4096 !== 0) {
		throw new Error(`${key('slotSize')} must be a positive multiple of 4096 bytes`);
	}
	const fileRoot = typeof root.file === 'object' && root.file !== null ? (root.file as { root?: unknown }).root : undefined;
	const flashPath = u.flashPath ?? (typeof fileRoot === 'string' ? `${fileRoot}updraft-flash/` : undefined);
	if (flashPath !== undefined && (typeof flashPath !== 'string' || !flashPath.endsWith('/'))) {
		throw new Error(`${key('flashPath')} must be a folder path ending in "/" (default: file.root + "updraft-flash/")`);
	}

	return { agent, version, ca, domain, log: log as LogLevel, flashPath, slotSize };
}

function object(value: unknown, name: string): Record<string, unknown> {
	if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${name} must be an object`);
	return value as Record<string, unknown>;
}
