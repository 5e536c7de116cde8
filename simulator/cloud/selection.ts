/*
 * Which release a device is offered: Ioto's semantics for a blank distribution policy. The
 * product's enabled releases are walked in reverse SemVer order and the first one newer than
 * the device's version wins, so a device always jumps straight to the newest eligible release
 * and is never offered the version it already runs (or an older one).
 */
import { compareSemver, parseSemver } from '../../modules/semver';
import { badRequest, describe } from './errors';
import type { Release } from './release-store';

export interface DeviceVersion {
	version: string;
	/** When given, releases of other products are ignored. */
	product?: string;
}

export function selectRelease(releases: readonly Release[], device: DeviceVersion): Release | undefined {
	const current = parseSemver(device.version);
	if (!current) throw badRequest(`device version must be SemVer 2.0 (got ${describe(device.version)})`);
	const candidates = releases.filter((r) =>
		r.enable && (device.product === undefined || r.product === device.product) && parseSemver(r.version) !== null);
	// Newest first; among equal precedence the most recently created wins.
	candidates.sort((a, b) => compareSemver(b.version, a.version) || b.created.localeCompare(a.created));
	return candidates.find((r) => compareSemver(r.version, current) > 0);
}
