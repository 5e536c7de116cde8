/*
 * The administrators' release API: publish an image as a release, list, show, edit, enable,
 * disable and delete releases, and dry-run a policy against the devices the cloud has seen.
 * Answers never include image URL tokens; devices learn URLs only through check-ins.
 */
import type { IncomingMessage } from 'node:http';
import { compareSemver } from '../../modules/semver';
import type { ReleaseCatalog, ReleaseInfo } from './catalog';
import type { DeviceRegistry } from './device-registry';
import { CloudError, badRequest, describe, notFound } from './errors';
import { policyScope } from './policy/policy';
import {
	checkCombination, checkPolicy, DEFAULT_SETTINGS, settingsFromJson, settingsFromQuery, validateProduct, validateVersion,
} from './release-fields';
import type { ImageFolder } from './store/image-folder';

/** Query parameters of POST /api/releases besides the settings. */
const CREATE_PARAMETERS = ['product', 'version', 'description', 'policy', 'enable', 'limit', 'percentage', 'rate', 'period', 'downgrade'];
/** Devices listed by a dry run; the counts always cover all of them. */
export const DRY_RUN_LISTED = 1000;

/** POST /api/releases?product=P&version=V[&policy=...&limit=N...] with the raw image as the body. */
export async function createReleaseFromRequest(
	request: IncomingMessage,
	query: URLSearchParams,
	catalog: ReleaseCatalog,
	images: ImageFolder,
	maxImageBytes: number,
): Promise<ReleaseInfo> {
	const type = request.headers['content-type'];
	if (type !== undefined && type.split(';')[0]!.trim().toLowerCase() !== 'application/octet-stream') {
		throw new CloudError(415, 'unsupported-media-type',
			`the image must be sent raw as Content-Type: application/octet-stream (got ${type})`);
	}
	for (const name of new Set(query.keys())) {
		if (!CREATE_PARAMETERS.includes(name)) throw badRequest(`unknown query parameter ${JSON.stringify(name)} (allowed: ${CREATE_PARAMETERS.join(', ')})`);
	}
	const product = validateProduct(single(query, 'product', true));
	const version = validateVersion(single(query, 'version', true));
	const settings = settingsFromQuery(query);
	// Everything that can be refused is refused before a possibly large image is received.
	checkCombination({ ...DEFAULT_SETTINGS, ...settings });
	const same = catalog.list(product).find((r) => compareSemver(r.record.version, version) === 0);
	if (same) throw new CloudError(409, 'duplicate-version', `product ${product} already has release ${same.record.version} (id ${same.id})`);
	const declared = request.headers['content-length'];
	if (declared !== undefined && Number(declared) > maxImageBytes) {
		throw new CloudError(413, 'too-large', `the image is larger than ${maxImageBytes} bytes`);
	}
	const image = await images.receive(request, maxImageBytes);
	const release = await catalog.create({ product, version, settings, image });
	return catalog.info(release);
}

/** GET /api/releases[?product=P] */
export function listReleases(query: URLSearchParams, catalog: ReleaseCatalog): { releases: ReleaseInfo[] } {
	const product = single(query, 'product', false);
	if (product !== undefined) validateProduct(product);
	return { releases: catalog.list(product).map((r) => catalog.info(r)) };
}

/** GET /api/releases/<id> */
export function getRelease(id: string, catalog: ReleaseCatalog): ReleaseInfo {
	const release = catalog.get(id);
	if (!release) throw notFound(`no release with id ${JSON.stringify(id)}`);
	return catalog.info(release);
}

/** PATCH /api/releases/<id> with a JSON object of the settings to change. */
export async function editRelease(id: string, body: Record<string, unknown>, catalog: ReleaseCatalog): Promise<ReleaseInfo> {
	if (!catalog.get(id)) throw notFound(`no release with id ${JSON.stringify(id)}`);
	const changes = settingsFromJson(body);
	if (Object.keys(changes).length === 0) throw badRequest('nothing to change: give at least one of description, policy, enable, limit, percentage, rate, period, downgrade');
	return catalog.info(await catalog.update(id, changes));
}

/**
 * PUT /api/releases/<id>/signature with {manifest, signatures}: the manifest text the publisher
 * signed and its signatures. The cloud cannot check the signatures (it holds no keys and needs
 * none); it checks that the manifest describes this release, so a mistake is refused here
 * rather than by every device.
 */
export async function signRelease(id: string, body: Record<string, unknown>, catalog: ReleaseCatalog): Promise<ReleaseInfo> {
	const release = catalog.get(id);
	if (!release) throw notFound(`no release with id ${JSON.stringify(id)}`);
	for (const name of Object.keys(body)) if (name !== 'manifest' && name !== 'signatures') throw badRequest(`unknown field ${JSON.stringify(name)} (allowed: manifest, signatures)`);
	const { manifest, signatures } = body;
	if (typeof manifest !== 'string' || manifest.length > 4096) throw badRequest('manifest must be the signed manifest text (at most 4096 characters)');
	if (!Array.isArray(signatures) || signatures.length === 0 || signatures.length > 16) throw badRequest('signatures must be a list of 1 to 16 {keyid, sig}');
	const list = signatures.map((s, i) => {
		const { keyid, sig } = (s ?? {}) as Record<string, unknown>;
		if (typeof keyid !== 'string' || !/^[0-9a-f]{16}$/.test(keyid)) throw badRequest(`signatures[${i}].keyid must be 16 lowercase hex digits`);
		if (typeof sig !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(sig)) throw badRequest(`signatures[${i}].sig must be base64 of a 64-byte signature`);
		return { keyid, sig };
	});
	let fields: Record<string, unknown>;
	try {
		fields = JSON.parse(manifest) as Record<string, unknown>;
	} catch {
		throw badRequest('manifest is not JSON');
	}
	const record = release.record;
	const expected: Record<string, unknown> = { v: 1, product: record.product, version: record.version, release: record.id, size: record.size, sha256: record.checksum };
	for (const [name, value] of Object.entries(expected)) {
		if (fields?.[name] !== value) throw badRequest(`the manifest's ${name} is ${describe(fields?.[name])}, this release's is ${describe(value)}`);
	}
	if (typeof fields.expires !== 'number' || fields.expires * 1000 <= Date.now()) throw badRequest('the manifest has expired (or has no expires)');
	return catalog.info(await catalog.sign(id, manifest, list));
}

/** DELETE /api/releases/<id> */
export async function deleteRelease(id: string, catalog: ReleaseCatalog): Promise<{ deleted: string }> {
	await catalog.remove(id);
	return { deleted: id };
}

export interface DryRunAnswer {
	product: string;
	version: string;
	policy: string;
	/** Known devices of the product not already running `version`. */
	total: number;
	matched: number;
	/** The first DRY_RUN_LISTED matching devices, by id. */
	devices: { id: string; version: string; lastCheckin: string }[];
	truncated: boolean;
}

/**
 * POST /api/dry-run with {product, version, policy} or {release, [policy]}: which devices, by
 * their latest check-in, the policy would let have that version. Limits are not applied.
 */
export async function dryRun(body: Record<string, unknown>, catalog: ReleaseCatalog, devices: DeviceRegistry): Promise<DryRunAnswer> {
	for (const name of Object.keys(body)) {
		if (!['product', 'version', 'policy', 'release'].includes(name)) throw badRequest(`unknown field ${JSON.stringify(name)} (allowed: product, version, policy, release)`);
	}
	let product: string;
	let version: string;
	let policyText: unknown = body.policy;
	if (body.release !== undefined) {
		if (body.product !== undefined || body.version !== undefined) throw badRequest('give either release or product and version, not both');
		const release = typeof body.release === 'string' ? catalog.get(body.release) : undefined;
		if (!release) throw notFound(`no release with id ${describe(body.release)}`);
		product = release.record.product;
		version = release.record.version;
		policyText ??= release.record.policy;
	} else {
		product = validateProduct(body.product);
		version = validateVersion(body.version, 'version (of the release to try)');
	}
	const policy = checkPolicy(policyText ?? '');
	const answer: DryRunAnswer = { product, version, policy: policy.source, total: 0, matched: 0, devices: [], truncated: false };
	for (const device of await devices.list(product)) {
		let same: boolean;
		try {
			same = compareSemver(device.version, version) === 0;
		} catch {
			continue;
		}
		if (same) continue;
		answer.total++;
		if (!policy.matches(policyScope(device.properties, device.version, version))) continue;
		answer.matched++;
		if (answer.devices.length < DRY_RUN_LISTED) answer.devices.push({ id: device.id, version: device.version, lastCheckin: device.lastCheckin });
		else answer.truncated = true;
	}
	return answer;
}

export function single(query: URLSearchParams, name: string, required: boolean): string | undefined {
	const values = query.getAll(name);
	if (values.length > 1) throw badRequest(`query parameter ${name} is given ${values.length} times`);
	if (values.length === 0 && required) throw badRequest(`query parameter ${name} is required`);
	return values[0];
}
