/*
 * The dashboard's endpoints. The pages check the admin token themselves (a session cookie from
 * signing in, or a bearer token), so that a browser can use them; /api/dashboard is the same
 * data as JSON behind the router's admin check, for scripts.
 *
 *   GET  /dashboard[?release=ID][&product=P][&refresh=S]   the page (the sign-in form when signed out)
 *   POST /dashboard/login      token=...                  sets the session cookie
 *   POST /dashboard/logout                                 clears it
 *   POST /dashboard/dry-run    product, version, policy   the page with the dry run's answer
 *   GET  /dashboard/style.css
 *   GET  /api/dashboard[?release=ID][&product=P]          admin token; DashboardData as JSON
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloudError, badRequest } from '../errors';
import { readBody, sendJson } from '../http-body';
import { dryRun } from '../release-api';
import type { Exchange, Route } from '../router';
import { tokenMatches } from '../tokens';
import { clearedCookie, sessionCookie, signedIn } from './auth';
import { gatherDashboard, type DashboardSources } from './data';
import { renderDashboard, renderLogin, type DryRunView } from './page';
import { DASHBOARD_CSS } from './style';

export interface DashboardContext extends DashboardSources {
	adminToken: string;
}

const MAX_FORM_BYTES = 16 * 1024;

const PAGE_HEADERS: Record<string, string> = {
	'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	'X-Content-Type-Options': 'nosniff',
	'Referrer-Policy': 'no-referrer',
	'X-Frame-Options': 'DENY',
	'Cache-Control': 'no-store',
};

function sendHtml(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
	const body = Buffer.from(text, 'utf8');
	response.writeHead(status, { ...PAGE_HEADERS, ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length) });
	response.end(response.req.method === 'HEAD' ? undefined : body);
}

function redirect(response: ServerResponse, location: string, headers: Record<string, string> = {}): void {
	response.writeHead(303, { ...PAGE_HEADERS, ...headers, Location: location, 'Content-Length': '0' });
	response.end();
}

/** A form post's fields; anything but a urlencoded body of modest size is refused. */
async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
	const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
	if (type !== 'application/x-www-form-urlencoded') {
		throw new CloudError(415, 'unsupported-media-type', `a form must be sent as application/x-www-form-urlencoded (got ${type || 'no Content-Type'})`);
	}
	const bytes = await readBody(request, MAX_FORM_BYTES);
	return new URLSearchParams(bytes.toString('utf8'));
}

function field(form: URLSearchParams, name: string): string {
	const values = form.getAll(name);
	if (values.length > 1) throw badRequest(`form field ${name} is given ${values.length} times`);
	return values[0] ?? '';
}

/** ?refresh=S: seconds between reloads, 2 to 3600. */
function refreshOf(query: URLSearchParams): number | undefined {
	const text = query.get('refresh');
	if (text === null) return undefined;
	const seconds = Number(text);
	if (!Number.isInteger(seconds) || seconds < 2 || seconds > 3600) throw badRequest(`refresh must be a whole number of seconds from 2 to 3600 (got ${JSON.stringify(text)})`);
	return seconds;
}

function ask(query: URLSearchParams): { release?: string; product?: string } {
	const out: { release?: string; product?: string } = {};
	const release = query.get('release');
	const product = query.get('product');
	if (release !== null) out.release = release;
	if (product !== null) out.product = product;
	return out;
}

export function dashboardRoutes(c: DashboardContext): Route[] {
	const page = async ({ request, response, query }: Exchange) => {
		if (!signedIn(request, c.adminToken)) {
			sendHtml(response, 401, renderLogin());
			return;
		}
		const refresh = refreshOf(query);
		sendHtml(response, 200, renderDashboard(await gatherDashboard(c, ask(query)), { refresh }));
	};
	return [
		{
			pattern: /^\/dashboard\/?$/,
			access: 'public',
			methods: { GET: page, HEAD: page },
		},
		{
			pattern: /^\/dashboard\/login$/,
			access: 'public',
			methods: {
				POST: async ({ request, response }) => {
					const form = await readForm(request);
					if (!tokenMatches(field(form, 'token').trim(), c.adminToken)) {
						sendHtml(response, 401, renderLogin('That is not the admin token of this cloud.'));
						return;
					}
					redirect(response, '/dashboard', { 'Set-Cookie': sessionCookie(c.adminToken) });
				},
			},
		},
		{
			pattern: /^\/dashboard\/logout$/,
			access: 'public',
			methods: {
				POST: ({ response }) => redirect(response, '/dashboard', { 'Set-Cookie': clearedCookie() }),
			},
		},
		{
			pattern: /^\/dashboard\/dry-run$/,
			access: 'public',
			methods: {
				POST: async ({ request, response }) => {
					if (!signedIn(request, c.adminToken)) {
						sendHtml(response, 401, renderLogin('Sign in again: the session ended.'));
						return;
					}
					const form = await readForm(request);
					const view: DryRunView = { product: field(form, 'product').trim(), version: field(form, 'version').trim(), policy: field(form, 'policy') };
					let status = 200;
					try {
						view.answer = await dryRun({ product: view.product, version: view.version, policy: view.policy }, c.catalog, c.devices);
					} catch (error) {
						if (!(error instanceof CloudError) || error.status >= 500) throw error;
						const column = error.details.column;
						view.error = `${error.message}${typeof column === 'number' && !error.message.includes('column') ? ` (column ${column})` : ''}`;
						status = error.status;
					}
					sendHtml(response, status, renderDashboard(await gatherDashboard(c, {}), { dryRun: view }));
				},
			},
		},
		{
			pattern: /^\/dashboard\/style\.css$/,
			access: 'public',
			methods: {
				GET: ({ response }) => {
					const body = Buffer.from(DASHBOARD_CSS, 'utf8');
					response.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8', 'Content-Length': String(body.length), 'Cache-Control': 'max-age=3600', 'X-Content-Type-Options': 'nosniff' });
					response.end(body);
				},
			},
		},
		{
			pattern: /^\/api\/dashboard$/,
			access: 'admin',
			methods: {
				GET: async ({ response, query }) => sendJson(response, 200, await gatherDashboard(c, ask(query))),
			},
		},
	];
}
