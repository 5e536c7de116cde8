/*
 * Who may see the dashboard: whoever holds the admin token. A browser signs in once with it and
 * gets a session cookie; scripts may send the token as `Authorization: Bearer` instead.
 *
 * The cookie holds an HMAC of the admin token, not the token: it opens the dashboard only, is
 * worthless against the admin API, and changes when the token does. It is HttpOnly, Secure and
 * SameSite=Strict, scoped to /dashboard, so another site can neither read it nor make a browser
 * send it along with a forged form.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { tokenFromAuthorization, tokenMatches } from '../tokens';

export const SESSION_COOKIE = 'updraft_dashboard';
/** A sign-in lasts a working day. */
const MAX_AGE_SECONDS = 12 * 3600;

export function sessionValue(adminToken: string): string {
	return createHmac('sha256', adminToken).update('updraft dashboard session').digest('hex');
}

export function sessionCookie(adminToken: string): string {
	return `${SESSION_COOKIE}=${sessionValue(adminToken)}; Path=/dashboard; HttpOnly; Secure; SameSite=Strict; Max-Age=${MAX_AGE_SECONDS}`;
}

export function clearedCookie(): string {
	return `${SESSION_COOKIE}=; Path=/dashboard; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
}

/** The value of cookie `name` in a Cookie header, if it is there once. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
	if (!header) return undefined;
	let found: string | undefined;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
		if (found !== undefined) return undefined;
		found = part.slice(eq + 1).trim();
	}
	return found;
}

export function signedIn(request: IncomingMessage, adminToken: string): boolean {
	const bearer = tokenFromAuthorization(request.headers.authorization);
	if (bearer !== undefined) return tokenMatches(bearer, adminToken);
	const cookie = cookieValue(request.headers.cookie, SESSION_COOKIE);
	if (cookie === undefined || !/^[0-9a-f]{64}$/.test(cookie)) return false;
	return timingSafeEqual(Buffer.from(cookie, 'hex'), Buffer.from(sessionValue(adminToken), 'hex'));
}
