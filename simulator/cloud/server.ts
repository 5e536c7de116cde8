/*
 * The simulator's device cloud: an HTTPS server that speaks Ioto's update protocol to devices
 * (check-in, update report, image download) and offers a small release API to administrators.
 *
 * Data directory layout:
 *   tls/            CA and server certificate (simulator/tls/certificates.ts)
 *   tokens.json     fleet and admin tokens (0600)
 *   releases.json   release records;  images/<sha256>.bin  their images
 *   devices.json    latest check-in of each device;  reports.jsonl  update reports
 */
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import { ensureCloudTls } from '../tls/certificates';
import { JsonDeviceRegistry, type DeviceRegistry } from './devices';
import { CloudError, badRequest, notFound } from './errors';
import { readJsonObject, sendJson } from './http-body';
import { IMAGE_PATH, serveImage } from './image-download';
import { checkin, updateReport, type ProvisionContext } from './provision';
import { createReleaseFromRequest, getRelease, listReleases } from './release-api';
import { JsonReleaseStore, type ReleaseStore } from './release-store';
import { JsonlReportLog, type ReportLog } from './reports';
import { loadOrCreateTokens, tokenFromAuthorization, tokenMatches } from './tokens';

export interface CloudOptions {
	dataDir: string;
	/** 0 (the default) picks a free port. */
	port?: number;
	/** Address to listen on; default 127.0.0.1. */
	host?: string;
	/** Base of the image URLs handed to devices; default the server's URL (host localhost when local). */
	publicUrl?: string;
	log?: (line: string) => void;
	/** Largest image accepted by POST /api/releases; default 256 MiB. */
	maxImageBytes?: number;
}

export interface Cloud {
	/** https://localhost:<port> (or the listening address when it is neither local nor a wildcard). */
	url: string;
	port: number;
	/** Base of image URLs, without a trailing slash. */
	publicUrl: string;
	fleetToken: string;
	adminToken: string;
	/** The CA that signed the server certificate, for clients to trust. */
	caPath: string;
	caPem: string;
	store: ReleaseStore;
	devices: DeviceRegistry;
	reports: ReportLog;
	/** Stop listening and drop open connections, keep-alive ones included. Idempotent. */
	close(): Promise<void>;
}

/** Cap on JSON request bodies. */
export const MAX_JSON_BYTES = 64 * 1024;
export const DEFAULT_MAX_IMAGE_BYTES = 256 * 1024 * 1024;

type Access = 'fleet' | 'admin' | 'public';

interface Exchange {
	request: IncomingMessage;
	response: ServerResponse;
	/** Groups captured by the route's pattern. */
	params: string[];
	query: URLSearchParams;
}

interface Route {
	pattern: RegExp;
	access: Access;
	methods: Record<string, (exchange: Exchange) => Promise<void> | void>;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::', '']);

export async function startCloud(options: CloudOptions): Promise<Cloud> {
	const host = options.host ?? '127.0.0.1';
	const port = options.port ?? 0;
	if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be an integer 0-65535 (got ${port})`);
	const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
	if (!Number.isSafeInteger(maxImageBytes) || maxImageBytes <= 0) {
		throw new Error(`maxImageBytes must be a positive integer (got ${maxImageBytes})`);
	}
	const log = options.log ?? ((): void => {});
	const configuredPublicUrl = options.publicUrl === undefined ? undefined : checkPublicUrl(options.publicUrl);

	mkdirSync(options.dataDir, { recursive: true });
	const tokens = loadOrCreateTokens(options.dataDir);
	const store = new JsonReleaseStore(options.dataDir);
	const devices = new JsonDeviceRegistry(options.dataDir);
	const reports = new JsonlReportLog(options.dataDir);
	const extraNames = [host, configuredPublicUrl ? new URL(configuredPublicUrl).hostname : '']
		.map((name) => name.replace(/^\[(.*)\]$/, '$1'))
		.filter((name) => !LOCAL_HOSTS.has(name));
	const tls = extraNames.length > 0
		? await ensureCloudTls(options.dataDir, ['localhost', '127.0.0.1', ...extraNames])
		: await ensureCloudTls(options.dataDir);

	// publicUrl is known once the server listens (the port may be chosen by the system).
	const context: ProvisionContext = { store, devices, reports, publicUrl: '' };
	const routes: Route[] = [
		{
			pattern: /^\/tok\/provision\/update$/,
			access: 'fleet',
			methods: {
				POST: async ({ request, response }) => {
					const body = await readJsonObject(request, MAX_JSON_BYTES);
					sendJson(response, 200, checkin(body, context));
				},
			},
		},
		{
			pattern: /^\/tok\/provision\/updateReport$/,
			access: 'fleet',
			methods: {
				POST: async ({ request, response }) => {
					const body = await readJsonObject(request, MAX_JSON_BYTES);
					updateReport(body, context);
					sendJson(response, 200, {});
				},
			},
		},
		{
			pattern: IMAGE_PATH,
			access: 'public',
			methods: {
				GET: ({ request, response, params }) => serveImage(request, response, store, params[0]!, params[1]!),
				HEAD: ({ request, response, params }) => serveImage(request, response, store, params[0]!, params[1]!),
			},
		},
		{
			pattern: /^\/api\/releases$/,
			access: 'admin',
			methods: {
				GET: ({ response, query }) => sendJson(response, 200, listReleases(query, store)),
				POST: async ({ request, response, query }) => {
					sendJson(response, 201, await createReleaseFromRequest(request, query, store, maxImageBytes));
				},
			},
		},
		{
			pattern: /^\/api\/releases\/([^/]+)$/,
			access: 'admin',
			methods: {
				GET: ({ response, params }) => sendJson(response, 200, getRelease(params[0]!, store)),
			},
		},
	];

	const route = async (request: IncomingMessage, response: ServerResponse, path: string, search: string): Promise<void> => {
		for (const candidate of routes) {
			const match = candidate.pattern.exec(path);
			if (!match) continue;
			const handler = Object.hasOwn(candidate.methods, request.method ?? '') ? candidate.methods[request.method!] : undefined;
			if (!handler) {
				const allow = Object.keys(candidate.methods).join(', ');
				throw new CloudError(405, 'method-not-allowed', `${request.method} is not allowed on ${path} (allowed: ${allow})`,
					{ Allow: allow });
			}
			if (candidate.access !== 'public') {
				const expected = candidate.access === 'fleet' ? tokens.fleetToken : tokens.adminToken;
				if (!tokenMatches(tokenFromAuthorization(request.headers.authorization), expected)) {
					throw new CloudError(401, 'unauthorized', `Authentication failed: missing or wrong ${candidate.access} token`,
						{ 'WWW-Authenticate': 'Bearer realm="updraft"' });
				}
			}
			await handler({ request, response, params: match.slice(1), query: new URLSearchParams(search) });
			return;
		}
		throw notFound(`nothing at ${path}`);
	};

	const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
		const target = request.url ?? '';
		const question = target.indexOf('?');
		const path = question < 0 ? target : target.slice(0, question);
		response.on('finish', () => log(`${request.method} ${redact(path)} ${response.statusCode}`));
		try {
			checkPath(path);
			await route(request, response, path, question < 0 ? '' : target.slice(question));
		} catch (error) {
			fail(request, response, error, path, log);
		}
	};

	const sockets = new Set<Socket>();
	const server = createServer({ cert: tls.chainPem, key: tls.keyPem }, (request, response) => {
		handle(request, response).catch((error: unknown) => log(`error: ${String(error)}`));
	});
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.once('close', () => sockets.delete(socket));
	});
	server.on('tlsClientError', (error) => log(`tls: ${error.message}`));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	server.on('error', (error) => log(`server error: ${error.message}`));
	const address = server.address();
	if (address === null || typeof address === 'string') throw new Error('the cloud server has no TCP address');
	const urlHost = LOCAL_HOSTS.has(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
	const url = `https://${urlHost}:${address.port}`;
	const publicUrl = configuredPublicUrl ?? url;
	context.publicUrl = publicUrl;
	log(`cloud listening on ${url} (data in ${options.dataDir})`);

	let closing: Promise<void> | undefined;
	return {
		url,
		port: address.port,
		publicUrl,
		fleetToken: tokens.fleetToken,
		adminToken: tokens.adminToken,
		caPath: tls.caPath,
		caPem: tls.caPem,
		store,
		devices,
		reports,
		close(): Promise<void> {
			closing ??= new Promise<void>((resolve) => {
				server.close(() => resolve());
				for (const socket of sockets) socket.destroy();
			});
			return closing;
		},
	};
}

/** Refuse request targets that try to escape or confuse the routing. */
function checkPath(path: string): void {
	if (!path.startsWith('/')) throw badRequest('request target must be an absolute path');
	if (/%(2f|5c|00|2e)|\\/i.test(path)) throw badRequest('path must not contain encoded slashes, dots, NUL or backslashes');
	if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
		throw badRequest('path must not contain . or .. segments');
	}
}

/** Answer an error as JSON; unexpected exceptions become a logged 500, never a crash. */
function fail(request: IncomingMessage, response: ServerResponse, error: unknown, path: string, log: (line: string) => void): void {
	const known = error instanceof CloudError ? error : undefined;
	if (!known || known.status >= 500) {
		log(`error: ${request.method} ${redact(path)}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
	}
	if (response.headersSent) {
		response.destroy();
		return;
	}
	const status = known?.status ?? 500;
	const message = known ? known.message : 'internal error in the cloud (see its log)';
	const headers: Record<string, string> = { ...known?.headers };
	// A body left unread (refused early) must not be parsed as the next request.
	if (!request.complete) headers.Connection = 'close';
	sendJson(response, status, { error: message, code: known?.code ?? 'internal' }, headers);
}

function checkPublicUrl(text: string): string {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new Error(`publicUrl is not a URL: ${JSON.stringify(text)}`);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`publicUrl must be http(s): ${text}`);
	if (url.search || url.hash) throw new Error(`publicUrl must not have a query or fragment: ${text}`);
	return url.href.replace(/\/+$/, '');
}

/** Image URLs carry a secret; keep it out of logs. */
function redact(path: string): string {
	return path.replace(/^\/images\/[^/]+/, '/images/…');
}
