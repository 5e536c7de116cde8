/*
 * The two device endpoints of Ioto's device cloud, as plain functions of the parsed JSON body:
 * POST /tok/provision/update (check-in: is there a release for me?) and
 * POST /tok/provision/updateReport (how applying it went). HTTP concerns live in server.ts.
 */
import { badRequest, describe } from './errors';
import type { DeviceRegistry } from './devices';
import type { ReportLog, UpdateReport } from './reports';
import { validateProduct, validateVersion, type Release, type ReleaseStore } from './release-store';
import { selectRelease } from './selection';

export interface ProvisionContext {
	store: ReleaseStore;
	devices: DeviceRegistry;
	reports: ReportLog;
	/** Base of image URLs, without a trailing slash. */
	publicUrl: string;
}

/** What a device is told: an offer, or a message that there is nothing for it. */
export type CheckinAnswer =
	| { url: string; checksum: string; version: string; update: string; size: number }
	| { message: string };

const MAX_REASON = 4096;

export function imageUrl(publicUrl: string, release: Release): string {
	return `${publicUrl}/images/${release.secret}/${release.checksum}.bin`;
}

export function checkin(body: unknown, context: ProvisionContext, now = new Date()): CheckinAnswer {
	const device = requireObject(body, 'check-in body');
	const id = requireText(device.id, 'id', 128);
	const product = validateProduct(device.product);
	const version = validateVersion(device.version, 'version (the version the device runs)');
	const release = selectRelease(context.store.list(product), { product, version });
	context.devices.record({
		id,
		product,
		version,
		properties: device,
		lastCheckin: now.toISOString(),
		offered: release ? release.id : null,
	});
	if (!release) return { message: 'No update available' };
	return {
		url: imageUrl(context.publicUrl, release),
		checksum: release.checksum,
		version: release.version,
		update: release.id,
		size: release.size,
	};
}

export function updateReport(body: unknown, context: ProvisionContext, now = new Date()): UpdateReport {
	const input = requireObject(body, 'update report');
	if (typeof input.success !== 'boolean') {
		throw badRequest(`success must be true or false (got ${describe(input.success)})`);
	}
	const report: UpdateReport = {
		time: now.toISOString(),
		id: requireText(input.id, 'id', 128),
		update: requireText(input.update, 'update (the release id)', 128),
		success: input.success,
	};
	if (input.reason !== undefined) {
		// Free text (an error message from the device): may be empty or span lines.
		if (typeof input.reason !== 'string') throw badRequest(`reason must be a string (got ${describe(input.reason)})`);
		if (input.reason.length > MAX_REASON) throw badRequest(`reason is longer than ${MAX_REASON} characters`);
		report.reason = input.reason;
	}
	if (input.version !== undefined) report.version = requireText(input.version, 'version', 256);
	context.reports.append(report);
	return report;
}

function requireObject(value: unknown, what: string): Record<string, unknown> {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw badRequest(`${what} must be a JSON object (got ${describe(value)})`);
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
