/*
 * The cloud's secrets. Two are created once per data directory in DIR/tokens.json (mode 0600):
 * the fleet token every device may present (Ioto's CloudAPI token, sent as
 * `Authorization: bearer <token>` by the agent and bare by the stand-alone updater) and the admin
 * token for the admin API. Per-device tokens are made on request by an administrator; only
 * their SHA-256 is stored, and a device token is accepted only for its own device id.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../hosts/sim/atomic-file';
import type { CloudStore } from './store/store';

export interface CloudTokens {
	fleetToken: string;
	adminToken: string;
}

const TOKEN = /^[\x21-\x7e]{16,512}$/;

function newToken(): string {
	return randomBytes(32).toString('hex');
}

/** Load DIR/tokens.json, creating it with fresh random tokens on first use. */
export function loadOrCreateTokens(dataDir: string): CloudTokens {
	const file = join(dataDir, 'tokens.json');
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		const tokens = { fleetToken: newToken(), adminToken: newToken() };
		writeJsonAtomic(file, tokens, 0o600);
		return tokens;
	}
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
	}
	const { fleetToken, adminToken } = (data ?? {}) as Record<string, unknown>;
	for (const [name, value] of [['fleetToken', fleetToken], ['adminToken', adminToken]] as const) {
		if (typeof value !== 'string' || !TOKEN.test(value)) {
			throw new Error(`${file}: ${name} must be 16 to 512 printable characters without spaces`);
		}
	}
	return { fleetToken: fleetToken as string, adminToken: adminToken as string };
}

/**
 * The token in an Authorization header: `bearer T` or `Bearer T` (any case of the scheme), or a
 * bare `T`. Undefined when the header is missing, repeated or empty.
 */
export function tokenFromAuthorization(header: string | string[] | undefined): string | undefined {
	if (typeof header !== 'string') return undefined;
	const text = header.trim();
	const match = /^bearer\s+(\S+)$/i.exec(text);
	if (match) return match[1];
	return text === '' || /\s/.test(text) ? undefined : text;
}

function sha256(text: string): Buffer {
	return createHash('sha256').update(text).digest();
}

/** Constant-time comparison; hashing first hides the expected token's length too. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
	if (given === undefined) return false;
	return timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * Checks a presented token against a fixed one (the fleet or admin token) in constant time,
 * without hashing or allocating: check-ins present the fleet token on every request. Only the
 * length can differ in timing, and every token this cloud makes has the same length.
 */
export class TokenChecker {
	readonly #expected: string;

	constructor(expected: string) {
		this.#expected = expected;
	}

	matches(given: string): boolean {
		const expected = this.#expected;
		const same = given.length === expected.length;
		const reference = same ? given : expected;
		let difference = same ? 0 : 1;
		for (let i = 0; i < expected.length; i++) difference |= reference.charCodeAt(i) ^ expected.charCodeAt(i);
		return difference === 0;
	}
}

/** Per-device tokens, looked up by the hash of the token presented. */
export class DeviceTokens {
	readonly #store: CloudStore;
	readonly #deviceByHash = new Map<string, string>();
	readonly #hashByDevice = new Map<string, string>();

	private constructor(store: CloudStore) {
		this.#store = store;
	}

	static async open(store: CloudStore): Promise<DeviceTokens> {
		const tokens = new DeviceTokens(store);
		for (const { device, hash } of await store.listDeviceTokens()) {
			tokens.#deviceByHash.set(hash, device);
			tokens.#hashByDevice.set(device, hash);
		}
		return tokens;
	}

	/** A new token for `device`, replacing the one it had. Shown once; only its hash is kept. */
	async create(device: string): Promise<string> {
		const token = newToken();
		const hash = sha256(token).toString('hex');
		await this.#store.setDeviceToken(device, hash, new Date().toISOString());
		const old = this.#hashByDevice.get(device);
		if (old) this.#deviceByHash.delete(old);
		this.#deviceByHash.set(hash, device);
		this.#hashByDevice.set(device, hash);
		return token;
	}

	async revoke(device: string): Promise<boolean> {
		const removed = await this.#store.deleteDeviceToken(device);
		const hash = this.#hashByDevice.get(device);
		if (hash) this.#deviceByHash.delete(hash);
		this.#hashByDevice.delete(device);
		return removed;
	}

	/** The device a token belongs to. A map lookup by hash: the token itself is never compared. */
	deviceFor(token: string): string | undefined {
		return this.#deviceByHash.get(sha256(token).toString('hex'));
	}
}
