/*
 * Client of the cloud's release API, for the command line (`updraft release create|list`).
 * It trusts exactly the CA it is given: the cloud's certificate is self-issued.
 */
import { request as httpsRequest } from 'node:https';
import { CloudError } from './errors';
import type { ReleaseInfo } from './release-store';

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

export interface CreateReleaseOptions extends AdminConnection {
	product: string;
	version: string;
	description?: string;
	image: Uint8Array;
}

const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export async function createRelease(options: CreateReleaseOptions): Promise<ReleaseInfo> {
	if (!(options.image instanceof Uint8Array) || options.image.length === 0) throw new Error('image must be non-empty bytes');
	const query = new URLSearchParams({ product: options.product, version: options.version });
	if (options.description !== undefined) query.set('description', options.description);
	const answer = await call(options, 'POST', `/api/releases?${query}`, options.image);
	return releaseFrom(answer);
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

function releaseFrom(value: unknown): ReleaseInfo {
	const r = value as Partial<ReleaseInfo> | null;
	if (!r || typeof r !== 'object' || typeof r.id !== 'string' || typeof r.product !== 'string' ||
		typeof r.version !== 'string' || typeof r.checksum !== 'string' || typeof r.size !== 'number' ||
		typeof r.created !== 'string' || typeof r.enable !== 'boolean' || typeof r.description !== 'string') {
		throw new Error('the cloud answered with something that is not a release');
	}
	return r as ReleaseInfo;
}

/** One request; resolves with the parsed JSON answer of a 2xx, throws CloudError otherwise. */
function call(connection: AdminConnection, method: string, path: string, body?: Uint8Array): Promise<unknown> {
	let base: URL;
	try {
		base = new URL(connection.cloud);
	} catch {
		return Promise.reject(new Error(`cloud must be a URL such as https://localhost:8443 (got ${JSON.stringify(connection.cloud)})`));
	}
	if (base.protocol !== 'https:') return Promise.reject(new Error(`cloud must be an https URL (got ${connection.cloud})`));
	const url = new URL(`${base.pathname.replace(/\/+$/, '')}${path}`, base);
	const headers: Record<string, string> = { Authorization: `Bearer ${connection.token}`, Accept: 'application/json' };
	if (body) {
		headers['Content-Type'] = 'application/octet-stream';
		headers['Content-Length'] = String(body.length);
	}
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
					const { error, code } = (value ?? {}) as { error?: unknown; code?: unknown };
					reject(new CloudError(status, typeof code === 'string' ? code : 'http-error',
						`the cloud refused ${method} ${url.pathname} (${status}): ${typeof error === 'string' ? error : text.slice(0, 200)}`));
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
		request.end(body);
	});
}
