/*
 * Reading request bodies with a size cap and answering in JSON. Every failure is a CloudError with
 * a 4xx status, so a bad request can never turn into a 5xx or an unhandled rejection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloudError, badRequest, describe } from './errors';

/** The whole body, refused with 413 as soon as it is known to exceed `limit` bytes. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
	const declared = request.headers['content-length'];
	if (declared !== undefined && Number(declared) > limit) {
		return Promise.reject(tooLarge(limit));
	}
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let received = 0;
		const cleanup = (): void => {
			request.off('data', onData);
			request.off('end', onEnd);
			request.off('error', onError);
			request.off('aborted', onAborted);
		};
		const onData = (chunk: Buffer): void => {
			received += chunk.length;
			if (received > limit) {
				cleanup();
				reject(tooLarge(limit));
				return;
			}
			chunks.push(chunk);
		};
		const onEnd = (): void => {
			cleanup();
			resolve(Buffer.concat(chunks, received));
		};
		const onError = (error: Error): void => {
			cleanup();
			reject(badRequest(`request body was not received completely: ${error.message}`));
		};
		const onAborted = (): void => onError(new Error('the client went away'));
		request.on('data', onData);
		request.on('end', onEnd);
		request.on('error', onError);
		request.on('aborted', onAborted);
	});
}

function tooLarge(limit: number): CloudError {
	return new CloudError(413, 'too-large', `request body is larger than ${limit} bytes`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body parsed as a JSON object (not an array, not a scalar). */
export async function readJsonObject(request: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
	const bytes = await readBody(request, limit);
	if (bytes.length === 0) throw badRequest('request body is empty; a JSON object is required');
	let text: string;
	try {
		text = utf8.decode(bytes);
	} catch {
		throw badRequest('request body is not valid UTF-8');
	}
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw badRequest(`request body is not valid JSON: ${(error as Error).message}`);
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw badRequest(`request body must be a JSON object (got ${describe(value)})`);
	}
	return value as Record<string, unknown>;
}

export function sendJson(
	response: ServerResponse,
	status: number,
	value: unknown,
	headers: Record<string, string> = {},
): void {
	const body = Buffer.from(`${JSON.stringify(value)}\n`, 'utf8');
	response.writeHead(status, {
		...headers,
		'Content-Type': 'application/json',
		'Content-Length': String(body.length),
		'Cache-Control': 'no-store',
	});
	response.end(response.req.method === 'HEAD' ? undefined : body);
}
