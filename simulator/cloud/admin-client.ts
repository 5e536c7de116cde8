/*
 * Client of the cloud's admin API, for the command line (`updraft release ...`) and tests.
 * It trusts exactly the CA it is given: the cloud's certificate is self-issued.
 */
import { request as httpsRequest } from 'node:https';
import type { ReleaseInfo } from './catalog';
import { CloudError } from './errors';
import type { ReleaseSettings } from './release-fields';
import type { DryRunAnswer } from './release-api';
import type { DeviceRecord, StoredReport } from './store/records';

export type { ReleaseInfo } from './catalog';

export interface AdminConnection {
	/** Base URL of the cloud, e.g. https://localhost:8443 */
	cloud: string;
	/** PEM of the CA that signed the cloud's certificate. */
	caPem: string;
	/** The cloud's admin token. */
	token: string;
	/** Give up after this long without progress; default 60 s. */
	timeoutMs?: number;
}

export interface CreateReleaseOptions extends AdminConnection, Partial<ReleaseSettings> {
	product: string;
	version: string;
	image: Uint8Array;
}

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export async function createRelease(options: CreateReleaseOptions): Promise<ReleaseInfo> {
	if (!(options.image instanceof Uint8Array) || options.image.length === 0) throw new Error('image must be non-empty bytes');
	const query = new URLSearchParams({ product: options.product, version: options.version });
	for (const name of ['description', 'policy', 'enable', 'limit', 'percentage', 'rate', 'period', 'downgrade'] as const) {
		const value = options[name];
		if (value !== undefined && value !== null) query.set(name, String(value));
	}
	return releaseFrom(await call(options, 'POST', `/api/releases?${query}`, options.image));
}

export async function listReleases(options: AdminConnection & { product?: string }): Promise<ReleaseInfo[]> {
	const query = options.product === undefined ? '' : `?${new URLSearchParams({ product: options.product })}`;
	const answer = await call(options, 'GET', `/api/releases${query}`);
	const list = (answer as { releases?: unknown }).releases;
	if (!Array.isArray(list)) throw new Error('the cloud answered without a releases list');
	return list.map(releaseFrom);
}

export async function getRelease(options: AdminConnection & { id: string }): Promise<ReleaseInfo> {
	return releaseFrom(await call(options, 'GET', `/api/releases/${encodeURIComponent(options.id)}`));
}

/** Change some settings of a release (null clears limit, percentage, rate and period). */
export async function updateRelease(options: AdminConnection & { id: string; changes: Partial<ReleaseSettings> }): Promise<ReleaseInfo> {
	return releaseFrom(await call(options, 'PATCH', `/api/releases/${encodeURIComponent(options.id)}`, options.changes));
}

/** Attach the publisher's signed manifest and signatures to a release. */
export async function signRelease(options: AdminConnection & { id: string; manifest: string; signatures: { keyid: string; sig: string }[] }): Promise<ReleaseInfo> {
	const { manifest, signatures } = options;
	return releaseFrom(await call(options, 'PUT', `/api/releases/${encodeURIComponent(options.id)}/signature`, { manifest, signatures }));
}

export function enableRelease(options: AdminConnection & { id: string }): Promise<ReleaseInfo> {
	return updateRelease({ ...options, changes: { enable: true } });
}

export function disableRelease(options: AdminConnection & { id: string }): Promise<ReleaseInfo> {
	return updateRelease({ ...options, changes: { enable: false } });
}

export async function deleteRelease(options: AdminConnection & { id: string }): Promise<{ deleted: string }> {
	return (await call(options, 'DELETE', `/api/releases/${encodeURIComponent(options.id)}`)) as { deleted: string };
}

/** Which known devices a policy would match: {product, version, policy} or {release, policy?}. */
export async function dryRun(options: AdminConnection & { product?: string; version?: string; policy?: string; release?: string }): Promise<DryRunAnswer> {
	const { product, version, policy, release } = options;
	return (await call(options, 'POST', '/api/dry-run', { product, version, policy, release })) as DryRunAnswer;
}

export async function createDeviceToken(options: AdminConnection & { id: string }): Promise<{ id: string; token: string }> {
	return (await call(options, 'POST', `/api/devices/${encodeURIComponent(options.id)}/token`)) as { id: string; token: string };
}

export async function listDevices(options: AdminConnection & { product?: string }): Promise<DeviceRecord[]> {
	const query = options.product === undefined ? '' : `?${new URLSearchParams({ product: options.product })}`;
	return ((await call(options, 'GET', `/api/devices${query}`)) as { devices: DeviceRecord[] }).devices;
}

export async function listReports(options: AdminConnection & { release?: string; device?: string; limit?: number }): Promise<StoredReport[]> {
	const query = new URLSearchParams();
	if (options.release !== undefined) query.set('release', options.release);
	if (options.device !== undefined) query.set('device', options.device);
	if (options.limit !== undefined) query.set('limit', String(options.limit));
	const text = query.toString();
	return ((await call(options, 'GET', `/api/reports${text ? `?${text}` : ''}`)) as { reports: StoredReport[] }).reports;
}

function releaseFrom(value: unknown): ReleaseInfo {
	const r = value as Partial<ReleaseInfo> | null;
	if (!r || typeof r !== 'object' || typeof r.id !== 'string' || typeof r.product !== 'string' ||
		typeof r.version !== 'string' || typeof r.checksum !== 'string' || typeof r.size !== 'number' ||
		typeof r.created !== 'string' || typeof r.enable !== 'boolean' || typeof r.description !== 'string' ||
		typeof r.policy !== 'string' || typeof r.counters !== 'object' || r.counters === null) {
		throw new Error('the cloud answered with something that is not a release');
	}
	return r as ReleaseInfo;
}

/** One request; resolves with the parsed JSON answer of a 2xx, throws CloudError otherwise. */
function call(connection: AdminConnection, method: string, path: string, body?: Uint8Array | object): Promise<unknown> {
	let base: URL;
	try {
		base = new URL(connection.cloud);
	} catch {
		return Promise.reject(new Error(`cloud must be a URL such as https://localhost:8443 (got ${JSON.stringify(connection.cloud)})`));
	}
	if (base.protocol !== 'https:') return Promise.reject(new Error(`cloud must be an https URL (got ${connection.cloud})`));
	const url = new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base);
	const headers: Record<string, string> = { Authorization: `Bearer ${connection.token}`, Accept: 'application/json' };
	let bytes: Uint8Array | undefined;
	if (body instanceof Uint8Array) {
		bytes = body;
		headers['Content-Type'] = 'application/octet-stream';
	} else if (body !== undefined) {
		bytes = Buffer.from(JSON.stringify(body), 'utf8');
		headers['Content-Type'] = 'application/json';
	}
	if (bytes) headers['Content-Length'] = String(bytes.length);
	return new Promise((resolve, reject) => {
		const request = httpsRequest(url, { method, headers, ca: connection.caPem }, (response) => {
			const chunks: Buffer[] = [];
			let size = 0;
			response.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > MAX_ANSWER_BYTES) {
					request.destroy(new Error(`the cloud's answer is larger than ${MAX_ANSWER_BYTES} bytes`));
					return;
				}
				chunks.push(chunk);
			});
			response.on('error', reject);
			response.on('end', () => {
				const status = response.statusCode ?? 0;
				const text = Buffer.concat(chunks).toString('utf8');
				let value: unknown;
				try {
					value = JSON.parse(text);
				} catch {
					reject(new CloudError(status >= 400 ? status : 502, 'bad-answer',
						`the cloud answered ${status} with something that is not JSON: ${text.slice(0, 200)}`));
					return;
				}
				if (status < 200 || status > 299) {
					const { error, code, ...details } = (value ?? {}) as { error?: unknown; code?: unknown };
					reject(new CloudError(status, typeof code === 'string' ? code : 'http-error',
						`the cloud refused ${method} ${url.pathname} (${status}): ${typeof error === 'string' ? error : text.slice(0, 200)}`,
						{}, details));
					return;
				}
				resolve(value);
			});
		});
		request.setTimeout(connection.timeoutMs ?? 60_000, () => {
			request.destroy(new Error(`no answer from the cloud at ${connection.cloud} within ${connection.timeoutMs ?? 60_000} ms`));
		});
		request.on('error', (error) => {
			reject(error instanceof CloudError ? error : new Error(`cannot talk to the cloud at ${connection.cloud}: ${error.message}`));
		});
		request.end(bytes);
	});
}
