/*
 * Request routing for the cloud: a table of path patterns, methods and who may call them, path
 * checks that refuse tricks before any route sees them, and error answers that are always JSON
 * (4xx for bad input; a 5xx only for a fault of the cloud itself, logged).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloudError, badRequest, notFound } from './errors';
import { sendJson } from './http-body';
import { TokenChecker, tokenFromAuthorization, type DeviceTokens } from './tokens';

/** public: anyone; device: the fleet token or a device token; admin: the admin token. */
export type Access = 'public' | 'device' | 'admin';

export interface Exchange {
	request: IncomingMessage;
	response: ServerResponse;
	/** Groups captured by the route's pattern, percent-decoded. */
	params: string[];
	query: URLSearchParams;
	/** For a device token: the device it belongs to. */
	device: string | undefined;
}

export interface Route {
	pattern: RegExp;
	access: Access;
	methods: Record<string, (exchange: Exchange) => Promise<void> | void>;
}

export interface Credentials {
	fleetToken: string;
	adminToken: string;
	deviceTokens: DeviceTokens;
}

/** `log` receives one line per request and every fault; without it, faults only are lost. */
export function createHandler(routes: readonly Route[], credentials: Credentials, log?: (line: string) => void) {
	const checkers = { fleet: new TokenChecker(credentials.fleetToken), admin: new TokenChecker(credentials.adminToken) };
	const report = log ?? ((): void => {});
	const dispatch = async (request: IncomingMessage, response: ServerResponse, path: string, search: string): Promise<void> => {
		for (const candidate of routes) {
			const match = candidate.pattern.exec(path);
			if (!match) continue;
			const method = request.method ?? '';
			const handler = Object.hasOwn(candidate.methods, method) ? candidate.methods[method] : undefined;
			if (!handler) {
				const allow = Object.keys(candidate.methods).join(', ');
				throw new CloudError(405, 'method-not-allowed', `${method} is not allowed on ${path} (allowed: ${allow})`, { Allow: allow });
			}
			const device = authorize(candidate.access, request, checkers, credentials.deviceTokens);
			const params = match.length > 1 ? match.slice(1).map(decodeSegment) : [];
			let query: URLSearchParams | undefined;
			await handler({
				request, response, params, device,
				get query() {
					return (query ??= new URLSearchParams(search));
				},
			});
			return;
		}
		throw notFound(`nothing at ${path}`);
	};

	return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
		const target = request.url ?? '';
		const question = target.indexOf('?');
		const path = question < 0 ? target : target.slice(0, question);
		if (log) response.on('finish', () => log(`${request.method} ${redact(path)} ${response.statusCode}`));
		try {
			checkPath(path);
			await dispatch(request, response, path, question < 0 ? '' : target.slice(question));
		} catch (error) {
			fail(request, response, error, path, report);
		}
	};
}

/** Who is calling: throws 401 unless the route's access is met; the device id of a device token. */
function authorize(
	access: Access,
	request: IncomingMessage,
	checkers: { fleet: TokenChecker; admin: TokenChecker },
	deviceTokens: DeviceTokens,
): string | undefined {
	if (access === 'public') return undefined;
	const token = tokenFromAuthorization(request.headers.authorization);
	if (token !== undefined && access === 'admin') {
		if (checkers.admin.matches(token)) return undefined;
	} else if (token !== undefined) {
		if (checkers.fleet.matches(token)) return undefined;
		const device = deviceTokens.deviceFor(token);
		if (device !== undefined) return device;
	}
	throw new CloudError(401, 'unauthorized', `Authentication failed: missing or wrong ${access === 'admin' ? 'admin' : 'device or fleet'} token`,
		{ 'WWW-Authenticate': 'Bearer realm="updraft"' });
}

function decodeSegment(segment: string | undefined): string {
	if (segment === undefined) return '';
	try {
		return decodeURIComponent(segment);
	} catch {
		throw badRequest('path has a malformed percent-encoding');
	}
}

/** Refuse request targets that try to escape or confuse the routing. */
export function checkPath(path: string): void {
	if (path.charCodeAt(0) !== 47) throw badRequest('request target must be an absolute path');
	if (/%(2f|5c|00|2e)|\\/i.test(path)) throw badRequest('path must not contain encoded slashes, dots, NUL or backslashes');
	if (/\/\.\.?(\/|$)/.test(path)) throw badRequest('path must not contain . or .. segments');
}

/** Answer an error as JSON; unexpected exceptions become a logged 500, never a crash. */
function fail(request: IncomingMessage, response: ServerResponse, error: unknown, path: string, log: (line: string) => void): void {
	const known = error instanceof CloudError ? error : undefined;
	if (!known || known.status >= 500) {
		log(`error: ${request.method} ${redact(path)}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
	}
	if (response.headersSent || response.destroyed) {
		response.destroy();
		return;
	}
	const status = known?.status ?? 500;
	const message = known ? known.message : 'internal error in the cloud (see its log)';
	const headers: Record<string, string> = { ...known?.headers };
	// A body left unread (refused early) must not be parsed as the next request.
	if (!request.complete) headers.Connection = 'close';
	sendJson(response, status, { ...known?.details, error: message, code: known?.code ?? 'internal' }, headers);
}

/** Image URLs carry a token; keep it out of logs. */
export function redact(path: string): string {
	return path.replace(/^\/images\/[^/]+/, '/images/…');
}
