/*
 * GET/HEAD /images/<token>/<sha256>.bin: a release's image for the one device it was given to,
 * with single byte ranges so a device can resume an interrupted download.
 *
 * No Authorization header is needed (a plain downloader must be able to fetch it): the URL is
 * handed out only in that device's check-in answer, and its 128-bit token is unguessable and
 * bound to one (release, device) pair, which is how the cloud counts a device as started. The
 * image of a disabled (or halted) release is refused with 410, so a halt also stops downloads.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { parseByteRange } from './byte-range';
import { ImageCache } from './image-cache';
import type { ReleaseCatalog } from './catalog';
import { CloudError, notFound } from './errors';
import { sendJson } from './http-body';

export const IMAGE_PATH = /^\/images\/([0-9a-f]{32})\/([0-9a-f]{64})\.bin$/;

export async function serveImage(
	request: IncomingMessage,
	response: ServerResponse,
	catalog: ReleaseCatalog,
	token: string,
	checksum: string,
	now = Date.now(),
	cache?: ImageCache,
): Promise<void> {
	const found = catalog.byToken(token);
	if (!found || found.release.record.checksum !== checksum) throw notFound('no such image');
	const { release, grant } = found;
	if (!release.record.enable) {
		throw new CloudError(410, 'release-disabled', `release ${release.id} is disabled${release.record.halted ? ` (${release.record.halted})` : ''}`);
	}
	const path = catalog.imagePath(release);
	// A synchronous stat: a microsecond of metadata, where the promise version costs far more
	// per call than the call itself (measured with a fleet fetching thousands of images).
	const stats = statSync(path);
	const { size } = stats;
	if (size !== release.record.size) {
		throw new CloudError(500, 'image-damaged', `image of release ${release.id} has ${size} bytes, expected ${release.record.size}`);
	}
	const etag = `"${release.record.checksum}"`;
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
		sendJson(response, 416, { error: `range not satisfiable: the image has ${size} bytes`, code: 'range-not-satisfiable' }, {
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
	if (request.method === 'HEAD') {
		response.writeHead(range.kind === 'partial' ? 206 : 200, headers);
		response.end();
		return;
	}
	// The first byte a device asks for, whole image or range, makes it a started device.
	await catalog.start(release, grant, now);
	// A small image comes from memory and leaves in one write, head and body together.
	const bytes = await cache?.read(path, stats);
	response.writeHead(range.kind === 'partial' ? 206 : 200, headers);
	if (bytes) {
		response.end(bytes.subarray(start, end + 1));
		return;
	}
	try {
		await pipeline(createReadStream(path, { start, end }), response);
	} catch (error) {
		// A client that goes away mid-download is normal (it resumes later with a Range).
		if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
	}
}
