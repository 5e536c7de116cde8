/*
 * Test helpers for the simulator's device cloud: a cloud on 127.0.0.1 in a temporary data
 * directory that is closed and removed when the test ends, and a small HTTPS client that trusts
 * the cloud's CA and hands back status, headers and raw body.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud, type Cloud, type CloudOptions } from '../../simulator/cloud/server';
import { ensureCloudTls } from '../../simulator/tls/certificates';

/** What the helpers need from an ava ExecutionContext. */
export interface Teardown {
	teardown(fn: () => unknown): void;
}

export interface TestCloud extends Cloud {
	dataDir: string;
	/** Lines the cloud logged. */
	logLines: string[];
}

/** A fresh directory, removed when the test ends. */
export function temporaryDir(t: Teardown, prefix = 'updraft-cloud-'): string {
	const dir = mkdtempSync(join(tmpdir(), prefix));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

let tlsTemplate: Promise<string> | undefined;

/**
 * Key generation is the slow part of starting a cloud, so new data directories get a copy of
 * one CA and certificate made once per test process (for localhost and 127.0.0.1).
 */
async function seedTls(dataDir: string): Promise<void> {
	if (existsSync(join(dataDir, 'tls'))) return;
	tlsTemplate ??= (async () => {
		const dir = mkdtempSync(join(tmpdir(), 'updraft-tls-'));
		process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
		await ensureCloudTls(dir);
		return join(dir, 'tls');
	})();
	cpSync(await tlsTemplate, join(dataDir, 'tls'), { recursive: true });
}

/**
 * Start a cloud that the test's teardown closes. Without `dataDir` it gets a temporary one;
 * `freshTls` makes it create its own CA instead of sharing the process-wide one.
 */
export async function startTestCloud(
	t: Teardown,
	options: Partial<CloudOptions> & { freshTls?: boolean } = {},
): Promise<TestCloud> {
	const { freshTls, ...cloudOptions } = options;
	const dataDir = options.dataDir ?? temporaryDir(t);
	if (!freshTls) await seedTls(dataDir);
	const logLines: string[] = [];
	const cloud = await startCloud({ host: '127.0.0.1', port: 0, ...cloudOptions, dataDir, log: (line) => logLines.push(line) });
	t.teardown(() => cloud.close());
	return { ...cloud, dataDir, logLines };
}

/** Run `fn` against a cloud in `dataDir`, closing it whatever happens. */
export async function withCloud<T>(
	options: Partial<CloudOptions> & { dataDir: string; freshTls?: boolean },
	fn: (cloud: TestCloud) => Promise<T>,
): Promise<T> {
	const { freshTls, ...cloudOptions } = options;
	if (!freshTls) await seedTls(options.dataDir);
	const logLines: string[] = [];
	const cloud = await startCloud({ host: '127.0.0.1', port: 0, ...cloudOptions, log: (line) => logLines.push(line) });
	try {
		return await fn({ ...cloud, dataDir: options.dataDir, logLines });
	} finally {
		await cloud.close();
	}
}

export interface Answer {
	status: number;
	headers: IncomingHttpHeaders;
	body: Buffer;
	/** The body parsed as JSON (throws if it is not). */
	json(): any;
}

export interface RequestOptions {
	method?: string;
	headers?: Record<string, string>;
	body?: string | Uint8Array;
	agent?: Agent;
}

/**
 * One HTTPS request to `path` (sent verbatim, so tests can send odd targets) on the cloud.
 * Write errors after the answer arrived are ignored: a server that refuses a body early may
 * close the connection while the rest of the body is still on its way.
 */
export function call(cloud: { url: string; caPem: string }, path: string, options: RequestOptions = {}): Promise<Answer> {
	const base = new URL(cloud.url);
	return new Promise((resolve, reject) => {
		let answered = false;
		const request = httpsRequest({
			host: base.hostname,
			port: base.port,
			path,
			method: options.method ?? 'GET',
			headers: options.headers,
			ca: cloud.caPem,
			agent: options.agent ?? false,
		}, (response) => {
			answered = true;
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('error', reject);
			response.on('end', () => {
				const body = Buffer.concat(chunks);
				resolve({
					status: response.statusCode ?? 0,
					headers: response.headers,
					body,
					json: () => JSON.parse(body.toString('utf8')),
				});
			});
		});
		request.setTimeout(10_000, () => request.destroy(new Error(`no answer to ${path} within 10 s`)));
		request.on('error', (error) => {
			if (!answered) reject(error);
		});
		request.end(options.body);
	});
}

/** POST a JSON text (or a value, stringified) with a token. */
export function postJson(
	cloud: { url: string; caPem: string },
	path: string,
	body: unknown,
	authorization?: string,
): Promise<Answer> {
	const headers: Record<string, string> = { 'Content-Type': 'application/json' };
	if (authorization !== undefined) headers.Authorization = authorization;
	return call(cloud, path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}
