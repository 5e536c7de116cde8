/*
 * The cloud's two secrets: the fleet token every device presents (Ioto's CloudAPI token, sent as
 * `Authorization: bearer <token>` by the agent and bare by the stand-alone updater) and the admin
 * token for the release API. Created once per data directory in DIR/tokens.json (mode 0600) and
 * reused afterwards, so devices provisioned against a cloud keep working across restarts.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../hosts/sim/atomic-file';

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

/** Constant-time comparison; hashing first hides the expected token's length too. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
	if (given === undefined) return false;
	const a = createHash('sha256').update(given).digest();
	const b = createHash('sha256').update(expected).digest();
	return timingSafeEqual(a, b);
}
