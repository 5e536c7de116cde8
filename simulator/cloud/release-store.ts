/*
 * Releases: what the cloud can offer, and where their images live.
 *
 * The store is an interface so the JSON-file implementation below can later be swapped for a
 * database without touching the routes. The JSON store keeps everything in memory and persists
 * it to DIR/releases.json (replaced atomically). Images are content-addressed,
 * DIR/images/<sha256>.bin, written under a temporary name and renamed into place before the
 * release record is saved: a crash mid-upload leaves at worst an unreferenced image, never a
 * release without its image.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareSemver, parseSemver } from '../../modules/semver';
import { writeFileAtomic, writeJsonAtomic } from '../../hosts/sim/atomic-file';
import { CloudError, badRequest, describe } from './errors';

export interface Release {
	/** The cloud's id for the release; devices echo it in their update reports. */
	id: string;
	product: string;
	/** SemVer 2.0 of the firmware in the image. */
	version: string;
	/** SHA-256 of the image, lowercase hex. */
	checksum: string;
	/** Image size in bytes. */
	size: number;
	/** ISO 8601 creation time. */
	created: string;
	/** Disabled releases are never offered. */
	enable: boolean;
	description: string;
	/** 32 random hex digits in the image URL, so that image URLs cannot be guessed. */
	secret: string;
}

/** A release as shown to administrators: everything but the URL secret. */
export type ReleaseInfo = Omit<Release, 'secret'>;

export interface NewRelease {
	product: string;
	version: string;
	description?: string;
	image: Uint8Array;
	/** Defaults to true. */
	enable?: boolean;
}

export interface ReleaseStore {
	/** Validate, store the image, record the release. Throws CloudError (400, 409) on bad input. */
	create(input: NewRelease): Release;
	/** All releases, oldest first; only those of `product` when given. */
	list(product?: string): Release[];
	get(id: string): Release | undefined;
	/** Where the image file of `release` is on disk. */
	imagePath(release: Release): string;
}

const PRODUCT = /^[A-Za-z0-9._-]{1,64}$/;
const CHECKSUM = /^[0-9a-f]{64}$/;
const SECRET = /^[0-9a-f]{32}$/;
const ID = /^[0-9a-f]{16}$/;
const MAX_DESCRIPTION = 4096;

/** Throws a 400 CloudError unless `product` is a valid product name. */
export function validateProduct(product: unknown, what = 'product'): string {
	if (typeof product !== 'string' || !PRODUCT.test(product)) {
		throw badRequest(`${what} must be 1 to 64 characters among A-Z a-z 0-9 . _ - (got ${describe(product)})`);
	}
	return product;
}

/** Throws a 400 CloudError unless `version` is SemVer 2.0. */
export function validateVersion(version: unknown, what = 'version'): string {
	if (typeof version !== 'string' || !parseSemver(version)) {
		throw badRequest(`${what} must be a SemVer 2.0 version such as 1.2.3 (got ${describe(version)})`);
	}
	return version;
}

export function releaseInfo(release: Release): ReleaseInfo {
	const info: Partial<Release> = { ...release };
	delete info.secret;
	return info as ReleaseInfo;
}

export function sha256Hex(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

export class JsonReleaseStore implements ReleaseStore {
	readonly #file: string;
	readonly #images: string;
	readonly #releases: Release[];

	constructor(dataDir: string) {
		this.#file = join(dataDir, 'releases.json');
		this.#images = join(dataDir, 'images');
		mkdirSync(this.#images, { recursive: true });
		this.#releases = loadReleases(this.#file);
	}

	create(input: NewRelease): Release {
		if (input === null || typeof input !== 'object') throw badRequest('release input must be an object');
		const product = validateProduct(input.product);
		const version = validateVersion(input.version);
		const description = input.description ?? '';
		if (typeof description !== 'string') throw badRequest(`description must be a string (got ${describe(description)})`);
		if (description.length > MAX_DESCRIPTION) {
			throw badRequest(`description is longer than ${MAX_DESCRIPTION} characters`);
		}
		const enable = input.enable ?? true;
		if (typeof enable !== 'boolean') throw badRequest(`enable must be a boolean (got ${describe(enable)})`);
		if (!(input.image instanceof Uint8Array)) throw badRequest('image must be bytes');
		if (input.image.length === 0) throw badRequest('image is empty');
		// Equal precedence counts as a duplicate (1.0.0+a vs 1.0.0+b): devices could not tell them apart.
		const same = this.#releases.find((r) => r.product === product && compareSemver(r.version, version) === 0);
		if (same) {
			throw new CloudError(409, 'duplicate-version',
				`product ${product} already has release ${same.version} (id ${same.id})`);
		}

		const checksum = sha256Hex(input.image);
		const path = join(this.#images, `${checksum}.bin`);
		// Same content, same name: an existing file already holds exactly these bytes.
		if (!existsSync(path)) writeFileAtomic(path, input.image);

		const release: Release = {
			id: this.#newId(),
			product,
			version,
			checksum,
			size: input.image.length,
			created: new Date().toISOString(),
			enable,
			description,
			secret: randomBytes(16).toString('hex'),
		};
		const releases = [...this.#releases, release];
		writeJsonAtomic(this.#file, { releases });
		this.#releases.push(release);
		return { ...release };
	}

	list(product?: string): Release[] {
		return this.#releases.filter((r) => product === undefined || r.product === product).map((r) => ({ ...r }));
	}

	get(id: string): Release | undefined {
		const release = this.#releases.find((r) => r.id === id);
		return release && { ...release };
	}

	imagePath(release: Release): string {
		if (!CHECKSUM.test(release.checksum)) throw new Error(`release checksum is not a SHA-256: ${describe(release.checksum)}`);
		return join(this.#images, `${release.checksum}.bin`);
	}

	#newId(): string {
		for (;;) {
			const id = randomBytes(8).toString('hex');
			if (!this.#releases.some((r) => r.id === id)) return id;
		}
	}
}

/** Read releases.json; a damaged file is an error to fix by hand, never silently replaced. */
function loadReleases(file: string): Release[] {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw error;
	}
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
	}
	const list = (data as { releases?: unknown } | null)?.releases;
	if (!Array.isArray(list)) throw new Error(`${file} must hold {"releases": [...]}`);
	return list.map((entry, index) => {
		const problem = releaseProblem(entry);
		if (problem) throw new Error(`${file}: release #${index} is invalid: ${problem}`);
		return entry as Release;
	});
}

function releaseProblem(entry: unknown): string | undefined {
	if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return 'not an object';
	const r = entry as Record<string, unknown>;
	if (typeof r.id !== 'string' || !ID.test(r.id)) return 'bad id';
	if (typeof r.product !== 'string' || !PRODUCT.test(r.product)) return 'bad product';
	if (typeof r.version !== 'string' || !parseSemver(r.version)) return 'bad version';
	if (typeof r.checksum !== 'string' || !CHECKSUM.test(r.checksum)) return 'bad checksum';
	if (typeof r.size !== 'number' || !Number.isSafeInteger(r.size) || r.size <= 0) return 'bad size';
	if (typeof r.created !== 'string' || Number.isNaN(Date.parse(r.created))) return 'bad created';
	if (typeof r.enable !== 'boolean') return 'bad enable';
	if (typeof r.description !== 'string') return 'bad description';
	if (typeof r.secret !== 'string' || !SECRET.test(r.secret)) return 'bad secret';
	return undefined;
}
