/*
 * The simulator's device cloud: an HTTPS server that speaks Ioto's update protocol to devices
 * (check-in, update report, image download) and offers an admin API for releases, devices and
 * reports. docs/cloud-api.md describes every endpoint.
 *
 * Data directory layout:
 *   tls/            CA and server certificate (simulator/tls/certificates.ts)
 *   tokens.json     fleet and admin tokens (0600)
 *   cloud.db        releases, grants, counters, devices, device tokens, reports (SQLite)
 *   images/         <sha256>.bin, the release images, content-addressed
 *   reports.jsonl   every update report, appended as it arrives
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import { ensureCloudTls } from '../tls/certificates';
import { ReleaseCatalog, type ReleaseInfo } from './catalog';
import { DeviceRegistry } from './device-registry';
import { imageUrl } from './provision';
import { createRoutes } from './routes';
import { dashboardRoutes } from './dashboard/routes';
import { ReportLogFile } from './reports';
import { createHandler } from './router';
import { DEFAULT_AUTO_HALT, type AutoHaltConfig } from './rollout/auto-halt';
import { ImageFolder } from './store/image-folder';
import type { StoredReport } from './store/records';
import { SqliteStore } from './store/sqlite-store';
import type { CloudStore, ReportQuery } from './store/store';
import { DeviceTokens, loadOrCreateTokens } from './tokens';

export interface CloudOptions {
	dataDir: string;
	/** 0 (the default) picks a free port. */
	port?: number;
	/** Address to listen on; default 127.0.0.1. */
	host?: string;
	/**
	 * Base of the image URLs handed to devices, https; default the server's own URL. Set it when
	 * the cloud is reached through a proxy or a name other than the one it listens on.
	 */
	publicUrl?: string;
	log?: (line: string) => void;
	/** Largest image accepted by POST /api/releases; default 256 MiB. */
	maxImageBytes?: number;
	/** When a failing release is disabled on its own; default DEFAULT_AUTO_HALT. */
	autoHalt?: Partial<AutoHaltConfig>;
	/** How often batched writes (device records, traffic counters) reach the store; default 250 ms. */
	flushIntervalMs?: number;
	/** Another store than the embedded SQLite database in dataDir. The cloud closes it. */
	store?: CloudStore;
}

/** Read access to releases, as tests and the demo use it. */
export interface ReleaseView {
	get(id: string): ReleaseInfo | undefined;
	/** Oldest first. */
	list(product?: string): ReleaseInfo[];
	/** Where the image of a release is on disk. */
	imagePath(release: { checksum: string }): string;
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
	store: ReleaseView;
	catalog: ReleaseCatalog;
	devices: DeviceRegistry;
	deviceTokens: DeviceTokens;
	reports: { list(query?: ReportQuery): Promise<StoredReport[]> };
	/** The image URL of a release for one device, giving it the release if needed (as a check-in would). */
	imageUrl(releaseId: string, deviceId: string): Promise<string>;
	/** Write batched state now (it is also written every flushIntervalMs and on close). */
	flush(): Promise<void>;
	/** Stop listening, drop open connections (keep-alive ones included), write and close the store. Idempotent. */
	close(): Promise<void>;
}

export const MAX_JSON_BYTES = 64 * 1024;
export const DEFAULT_MAX_IMAGE_BYTES = 256 * 1024 * 1024;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::', '']);

export async function startCloud(options: CloudOptions): Promise<Cloud> {
	const host = options.host ?? '127.0.0.1';
	const port = options.port ?? 0;
	if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be an integer 0-65535 (got ${port})`);
	const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
	if (!Number.isSafeInteger(maxImageBytes) || maxImageBytes <= 0) {
		throw new Error(`maxImageBytes must be a positive integer (got ${maxImageBytes})`);
	}
	const flushIntervalMs = options.flushIntervalMs ?? 250;
	if (!(flushIntervalMs > 0 && flushIntervalMs <= 60_000)) throw new Error(`flushIntervalMs must be from 1 to 60000 (got ${flushIntervalMs})`);
	const log = options.log ?? ((): void => {});
	const configuredPublicUrl = options.publicUrl === undefined ? undefined : checkPublicUrl(options.publicUrl);

	mkdirSync(options.dataDir, { recursive: true });
	const tokens = loadOrCreateTokens(options.dataDir);
	const store = options.store ?? new SqliteStore(options.dataDir);
	let started = false;
	try {
		const images = new ImageFolder(options.dataDir);
		const catalog = await ReleaseCatalog.open(store, images, { autoHalt: { ...DEFAULT_AUTO_HALT, ...options.autoHalt }, log });
		const devices = new DeviceRegistry(store);
		const deviceTokens = await DeviceTokens.open(store);
		const reportLog = new ReportLogFile(options.dataDir, log);
		const extraNames = [host, configuredPublicUrl ? new URL(configuredPublicUrl).hostname : '']
			.map((name) => name.replace(/^\[(.*)\]$/, '$1'))
			.filter((name) => !LOCAL_HOSTS.has(name));
		const tls = extraNames.length > 0
			? await ensureCloudTls(options.dataDir, ['localhost', '127.0.0.1', ...extraNames])
			: await ensureCloudTls(options.dataDir);

		// publicUrl is known once the server listens (the port may be chosen by the system).
		const provision = { catalog, devices, reportLog, publicUrl: '' };
		const routes = [
			...createRoutes({ provision, catalog, devices, deviceTokens, images, store, maxImageBytes, maxJsonBytes: MAX_JSON_BYTES }),
			...dashboardRoutes({ catalog, devices, store, adminToken: tokens.adminToken }),
		];
		const handle = createHandler(routes, { fleetToken: tokens.fleetToken, adminToken: tokens.adminToken, deviceTokens }, options.log);

		const sockets = new Set<Socket>();
		const server = createServer({ cert: tls.chainPem, key: tls.keyPem }, (request, response) => {
			handle(request, response).catch((error: unknown) => log(`error: ${String(error)}`));
		});
		server.on('connection', (socket: Socket) => {
			sockets.add(socket);
			socket.once('close', () => sockets.delete(socket));
		});
		server.on('tlsClientError', (error) => log(`tls: ${error.message}`));
		server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
			// Malformed HTTP: answer with a JSON error when the socket still can, never crash.
			log(`client error: ${error.code ?? ''} ${error.message}`);
			if (!socket.writable || error.code === 'ECONNRESET') {
				socket.destroy();
				return;
			}
			socket.end(malformedRequestAnswer(error));
		});
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
		const url = `https://${urlHost}${address.port === 443 ? '' : `:${address.port}`}`;
		const publicUrl = configuredPublicUrl ?? url;
		provision.publicUrl = publicUrl;
		log(`cloud listening on ${url} (data in ${options.dataDir})`);

		const flush = async (): Promise<void> => {
			await devices.flush();
			await catalog.flush();
		};
		const timer = setInterval(() => {
			flush().catch((error: unknown) => log(`error: writing batched state: ${(error as Error).message}`));
		}, flushIntervalMs);
		timer.unref();

		let closing: Promise<void> | undefined;
		started = true;
		return {
			url,
			port: address.port,
			publicUrl,
			fleetToken: tokens.fleetToken,
			adminToken: tokens.adminToken,
			caPath: tls.caPath,
			caPem: tls.caPem,
			store: {
				get: (id) => {
					const release = catalog.get(id);
					return release && catalog.info(release);
				},
				list: (product) => catalog.list(product).map((r) => catalog.info(r)),
				imagePath: (release) => images.path(release.checksum),
			},
			catalog,
			devices,
			deviceTokens,
			reports: { list: (query) => store.listReports(query) },
			async imageUrl(releaseId, deviceId) {
				const release = catalog.get(releaseId);
				if (!release) throw new Error(`no release with id ${JSON.stringify(releaseId)}`);
				const grant = await catalog.grant(release, deviceId, Date.now());
				return imageUrl(publicUrl, grant.token, release.record.checksum);
			},
			flush,
			close(): Promise<void> {
				closing ??= (async () => {
					clearInterval(timer);
					await new Promise<void>((resolve) => {
						server.close(() => resolve());
						for (const socket of sockets) socket.destroy();
					});
					try {
						await flush();
					} finally {
						reportLog.close();
						await store.close();
					}
				})();
				return closing;
			},
		};
	} finally {
		if (!started) await store.close();
	}
}

/** The raw answer to a request Node's HTTP parser refused (431 for oversized headers, else 400). */
function malformedRequestAnswer(error: NodeJS.ErrnoException): string {
	const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
	const body = JSON.stringify({
		error: tooLarge ? 'request headers are too large' : `malformed HTTP request (${error.code ?? error.message})`,
		code: tooLarge ? 'headers-too-large' : 'bad-request',
	});
	const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
	return `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function checkPublicUrl(text: string): string {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new Error(`publicUrl is not a URL: ${JSON.stringify(text)}`);
	}
	if (url.protocol !== 'https:') throw new Error(`publicUrl must be an https URL (devices accept only https image URLs): ${text}`);
	if (url.search || url.hash || url.username || url.password) throw new Error(`publicUrl must not have a query, fragment or credentials: ${text}`);
	// URL drops the default port 443, so a public https URL on 443 carries no port.
	return url.href.replace(/\/+$/, '');
}
