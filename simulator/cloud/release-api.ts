/*
 * The administrators' release API: upload an image as a new release, list and read releases.
 * Answers never include the image URL secret; devices learn URLs only through check-ins.
 */
import type { IncomingMessage } from 'node:http';
import { CloudError, badRequest, notFound } from './errors';
import { readBody } from './http-body';
import { releaseInfo, validateProduct, validateVersion, type ReleaseInfo, type ReleaseStore } from './release-store';

/** POST /api/releases?product=P&version=V[&description=D] with the raw image as the body. */
export async function createReleaseFromRequest(
	request: IncomingMessage,
	query: URLSearchParams,
	store: ReleaseStore,
	maxImageBytes: number,
): Promise<ReleaseInfo> {
	const type = request.headers['content-type'];
	if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== 'application/octet-stream') {
		throw new CloudError(415, 'unsupported-media-type',
			`the image must be sent raw as Content-Type: application/octet-stream (got ${type})`);
	}
	const product = single(query, 'product', true);
	const version = single(query, 'version', true);
	const description = single(query, 'description', false);
	// Check the cheap parts before receiving a possibly large image.
	validateProduct(product);
	validateVersion(version);
	const image = await readBody(request, maxImageBytes);
	const release = store.create({
		product: product!,
		version: version!,
		description,
		image,
	});
	return releaseInfo(release);
}

/** GET /api/releases[?product=P] */
export function listReleases(query: URLSearchParams, store: ReleaseStore): { releases: ReleaseInfo[] } {
	const product = single(query, 'product', false);
	if (product !== undefined) validateProduct(product);
	return { releases: store.list(product).map(releaseInfo) };
}

/** GET /api/releases/<id> */
export function getRelease(id: string, store: ReleaseStore): ReleaseInfo {
	const release = store.get(id);
	if (!release) throw notFound(`no release with id ${JSON.stringify(id)}`);
	return releaseInfo(release);
}

function single(query: URLSearchParams, name: string, required: boolean): string | undefined {
	const values = query.getAll(name);
	if (values.length > 1) throw badRequest(`query parameter ${name} is given ${values.length} times`);
	if (values.length === 0 && required) throw badRequest(`query parameter ${name} is required`);
	return values[0];
}
