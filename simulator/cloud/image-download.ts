/*
 * GET/HEAD /images/<secret>/<sha256>.bin: the image of a release, with single byte ranges so a
 * device can resume an interrupted download. No token is needed: the URL is only ever handed
 * out in a check-in answer, and its 128-bit secret must belong to the release whose checksum
 * names the file.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { timingSafeEqual } from 'node:crypto';
import { parseByteRange } from './byte-range';
import { CloudError, notFound } from './errors';
import { sendJson } from './http-body';
import type { Release, ReleaseStore } from './release-store';

export const IMAGE_PATH = /^\/images\/([0-9a-f]{32})\/([0-9a-f]{64})\.bin$/;

function findRelease(store: ReleaseStore, secret: string, checksum: string): Release | undefined {
	const given = Buffer.from(secret, 'hex');
	return store.list().find((release) =>
		release.checksum === checksum && timingSafeEqual(Buffer.from(release.secret, 'hex'), given));
}

export async function serveImage(
	request: IncomingMessage,
	response: ServerResponse,
	store: ReleaseStore,
	secret: string,
	checksum: string,
): Promise<void> {
	const release = findRelease(store, secret, checksum);
	if (!release) throw notFound('no such image');
	const path = store.imagePath(release);
	const { size } = await stat(path);
	if (size !== release.size) {
		throw new CloudError(500, 'image-damaged', `image of release ${release.id} has ${size} bytes, expected ${release.size}`);
	}
	const etag = `"${release.checksum}"`;
	const headers: Record<string, string> = {
		'Content-Type': 'application/octet-stream',
		'ETag': etag,
		'Accept-Ranges': 'bytes',
	};
	// If-Range: resume only if the client holds a piece of this very image (strong ETag match).
	const ifRange = request.headers['if-range'];
	const range = ifRange === undefined || (typeof ifRange === 'string' && ifRange.trim() === etag)
		? parseByteRange(request.headers.range, size)
		: { kind: 'full' as const };

	if (range.kind === 'unsatisfiable') {
		sendJson(response, 416, { error: `range not satisfiable: the image has ${size} bytes` }, {
			...headers,
			'Content-Range': `bytes */${size}`,
		});
		return;
	}
	const start = range.kind === 'partial' ? range.start : 0;
	const end = range.kind === 'partial' ? range.end : size - 1;
	if (range.kind === 'partial') {
		headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
	}
	headers['Content-Length'] = String(end - start + 1);
	response.writeHead(range.kind === 'partial' ? 206 : 200, headers);
	if (request.method === 'HEAD') {
		response.end();
		return;
	}
	try {
		await pipeline(createReadStream(path, { start, end }), response);
	} catch (error) {
		// A client that goes away mid-download is normal (it resumes later with a Range).
		if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
	}
}
