/*
 * The two device endpoints of Ioto's device cloud, as functions of the parsed JSON body:
 * POST /tok/provision/update (check-in: is there a release for me?) and
 * POST /tok/provision/updateReport (how applying it went). HTTP concerns live in the router.
 */
import { parseSemver } from '../../modules/semver';
import type { ReleaseCatalog } from './catalog';
import type { DeviceRegistry } from './device-registry';
import { CloudError, badRequest, describe } from './errors';
import { validateProduct, validateVersion } from './release-fields';
import type { ReportLogFile } from './reports';
import { selectRelease } from './selection';
import type { StoredReport, UpdateReport } from './store/records';

export interface ProvisionContext {
	catalog: ReleaseCatalog;
	devices: DeviceRegistry;
	reportLog: ReportLogFile;
	/** Base of image URLs, https, without a trailing slash. */
	publicUrl: string;
	now?: () => number;
}

/** What a device is told: an offer, or a message that there is nothing for it. */
export type CheckinAnswer =
	| {
		url: string; checksum: string; version: string; update: string; size: number;
		downgrade?: true; manifest?: string; signatures?: { keyid: string; sig: string }[];
	}
	| { message: string };

/** The most properties a check-in or report may have, as in Ioto's device properties. */
export const MAX_PROPERTIES = 50;
export const MAX_PROPERTY_NAME = 128;
export const MAX_STRING_VALUE = 4096;
const MAX_ID = 128;

export function imageUrl(publicUrl: string, token: string, checksum: string): string {
	return `${publicUrl}/images/${token}/${checksum}.bin`;
}

/**
 * `authorizedDevice` is the device id a per-device token belongs to (undefined for the fleet
 * token): such a token may only check in as its own device. `bodyText` is the body as received,
 * kept as the device's properties without serializing them again.
 */
export async function checkin(body: unknown, context: ProvisionContext, authorizedDevice?: string, bodyText?: string): Promise<CheckinAnswer> {
	const properties = checkProperties(body, 'check-in body');
	const id = requireText(properties.id, 'id', MAX_ID);
	checkDevice(id, authorizedDevice);
	const product = validateProduct(properties.product);
	const parsed = parseSemver(properties.version);
	// Parsed once here for the whole walk; validateVersion only words the refusal.
	if (!parsed) validateVersion(properties.version, 'version (the version the device runs)');
	const version = properties.version as string;
	const now = context.now?.() ?? Date.now();
	const { catalog } = context;
	const selection = selectRelease(catalog.candidates(product), { id, version, properties, parsed: parsed! }, now, catalog);
	context.devices.record({
		id,
		product,
		version,
		propertiesJson: bodyText ?? JSON.stringify(properties),
		lastCheckin: new Date(now).toISOString(),
		offered: selection ? selection.release.id : null,
	}, now);
	if (!selection) return { message: 'No update available' };
	const { release } = selection;
	const grant = selection.grant ?? (await catalog.grant(release, id, now));
	catalog.countOffer(release);
	const answer: CheckinAnswer = {
		url: imageUrl(context.publicUrl, grant.token, release.record.checksum),
		checksum: release.record.checksum,
		version: release.record.version,
		update: release.id,
		size: release.record.size,
	};
	// Updraft's additions beside Ioto's fields; an Ioto-only client ignores them.
	if (release.record.downgrade) answer.downgrade = true;
	if (release.record.manifest && release.record.signatures) {
		answer.manifest = release.record.manifest;
		answer.signatures = release.record.signatures;
	}
	return answer;
}

export async function updateReport(body: unknown, context: ProvisionContext, authorizedDevice?: string): Promise<StoredReport> {
	const input = checkProperties(body, 'update report');
	const id = requireText(input.id, 'id', MAX_ID);
	checkDevice(id, authorizedDevice);
	if (typeof input.success !== 'boolean') {
		throw badRequest(`success must be true or false (got ${describe(input.success)})`);
	}
	const report: UpdateReport = {
		time: new Date(context.now?.() ?? Date.now()).toISOString(),
		id,
		update: requireText(input.update, 'update (the release id)', MAX_ID),
		success: input.success,
	};
	if (input.reason !== undefined && input.reason !== null) {
		// A reason code from modules/reasons.ts, or free text from another updater.
		if (typeof input.reason !== 'string') throw badRequest(`reason must be a string (got ${describe(input.reason)})`);
		report.reason = input.reason;
	}
	if (input.version !== undefined && input.version !== null) report.version = requireText(input.version, 'version', 256);
	const stored = await context.catalog.report(report);
	context.reportLog.append(report);
	return stored;
}

function checkDevice(id: string, authorizedDevice: string | undefined): void {
	if (authorizedDevice !== undefined && authorizedDevice !== id) {
		throw new CloudError(403, 'forbidden', `this token belongs to another device than ${describe(id)}`);
	}
}

/** A JSON object of at most MAX_PROPERTIES properties with sane names and string lengths. */
function checkProperties(value: unknown, what: string): Record<string, unknown> {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw badRequest(`${what} must be a JSON object (got ${describe(value)})`);
	}
	const names = Object.keys(value);
	if (names.length > MAX_PROPERTIES) throw badRequest(`${what} has ${names.length} properties; at most ${MAX_PROPERTIES} are allowed`);
	for (const name of names) {
		if (name.length === 0 || name.length > MAX_PROPERTY_NAME) {
			throw badRequest(`${what}: property names must be 1 to ${MAX_PROPERTY_NAME} characters (got ${describe(name)})`);
		}
		const property = (value as Record<string, unknown>)[name];
		if (typeof property === 'string' && property.length > MAX_STRING_VALUE) {
			throw badRequest(`${what}: property ${describe(name)} is longer than ${MAX_STRING_VALUE} characters`);
		}
	}
	return value as Record<string, unknown>;
}

/** A non-empty one-line string of at most `max` characters (ids, versions). */
function requireText(value: unknown, what: string, max: number): string {
	if (typeof value !== 'string') throw badRequest(`${what} must be a string (got ${describe(value)})`);
	if (value === '') throw badRequest(`${what} must not be empty`);
	if (value.length > max) throw badRequest(`${what} is longer than ${max} characters`);
	if (/[\x00-\x1f\x7f]/.test(value)) throw badRequest(`${what} must not contain control characters`);
	return value;
}
