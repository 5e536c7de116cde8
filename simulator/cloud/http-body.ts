/*
 * Reading request bodies with a size cap and answering in JSON. Every failure is a CloudError with
 * a 4xx status, so a bad request can never turn into a 5xx or an unhandled rejection.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloudError, badRequest, describe } from './errors';

/** What readBody keeps per request; the listeners below are shared and find it through `this`. */
interface BodyState {
	chunks: Buffer[];
	received: number;
	limit: number;
	settled: boolean;
	resolve: (body: Buffer) => void;
	reject: (error: CloudError) => void;
}

const STATE = Symbol('updraft body state');
type Reading = IncomingMessage & { [STATE]?: BodyState };

function settle(request: Reading, error: CloudError | undefined): void {
	const state = request[STATE]!;
	if (state.settled) return;
	state.settled = true;
	if (error) {
		request.off('data', onBodyData);
		state.reject(error);
		return;
	}
	state.resolve(state.chunks.length === 1 ? state.chunks[0]! : Buffer.concat(state.chunks, state.received));
}

// Module-level listeners: the check-in path creates no closures per request for its body.
function onBodyData(this: Reading, chunk: Buffer): void {
	const state = this[STATE]!;
	state.received += chunk.length;
	if (state.received > state.limit) settle(this, tooLarge(state.limit));
	else state.chunks.push(chunk);
}

function onBodyEnd(this: Reading): void {
	settle(this, undefined);
}

function onBodyError(this: Reading, error: Error): void {
	settle(this, badRequest(`request body was not received completely: ${error.message}`));
}

function onBodyAborted(this: Reading): void {
	settle(this, badRequest('request body was not received completely: the client went away'));
}

/** The whole body, refused with 413 as soon as it is known to exceed `limit` bytes. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
	const declared = request.headers['content-length'];
	if (declared !== undefined && Number(declared) > limit) {
		return Promise.reject(tooLarge(limit));
	}
	return new Promise((resolve, reject) => {
		const reading = request as Reading;
		reading[STATE] = { chunks: [], received: 0, limit, settled: false, resolve, reject };
		// Listeners stay on success: the request is done with, and removing them costs more.
		reading.on('data', onBodyData);
		reading.on('end', onBodyEnd);
		reading.on('error', onBodyError);
		reading.on('aborted', onBodyAborted);
	});
}

function tooLarge(limit: number): CloudError {
	return new CloudError(413, 'too-large', `request body is larger than ${limit} bytes`);
}

/** The body parsed as a JSON object (not an array, not a scalar). */
export async function readJsonObject(request: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
	return (await readJson(request, limit)).value;
}

/** The body parsed as a JSON object, with its text. */
export async function readJson(request: IncomingMessage, limit: number): Promise<{ value: Record<string, unknown>; text: string }> {
	const bytes = await readBody(request, limit);
	if (bytes.length === 0) throw badRequest('request body is empty; a JSON object is required');
	if (!isUtf8(bytes)) throw badRequest('request body is not valid UTF-8');
	const text = bytes.toString('utf8');
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw badRequest(`request body is not valid JSON: ${(error as Error).message}`);
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw badRequest(`request body must be a JSON object (got ${describe(value)})`);
	}
	return { value: value as Record<string, unknown>, text };
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
