/*
 * Which release a device gets, as Ioto documents it: the product's enabled releases in reverse
 * SemVer order, and the first one whose policy matches and whose limits are not used up.
 *
 * - Never the version the device runs (equal precedence): re-offering it would loop forever.
 * - The policy decides who may have the release at all; a blank policy means
 *   semver(version, "<", newVersion). With an explicit policy a release may be older than the
 *   device (a rollback release with policy `version == '1.2.3'`).
 * - The percentage admits a device by the hash of (release id, device id) and is checked on
 *   every check-in, so lowering it narrows the audience at once.
 * - limit and rate only decide whether a device not yet given the release may be given it: a
 *   device already given the release is already counted, and keeps getting it (it may be in
 *   the middle of the download).
 * When a release's limits keep a device out, the walk goes on to older releases.
 */
import { parseSemver, type SemVer } from '../../modules/semver';
import type { LiveRelease } from './live-release';
import type { PolicyScope } from './policy/policy';
import { admittedByPercentage } from './rollout/percentage';
import type { GrantRecord } from './store/records';

export interface CheckinDevice {
	id: string;
	version: string;
	/** The check-in body. */
	properties: Readonly<Record<string, unknown>>;
	/** `version` parsed, when the caller has it already. */
	parsed?: SemVer;
}

export interface Selection {
	release: LiveRelease;
	/** The device's existing grant, or undefined when it is admitted now and needs one. */
	grant: GrantRecord | undefined;
}

export interface SelectionCounter {
	/** Called for every release the walk considers. */
	countRequest?(release: LiveRelease): void;
}

export function selectRelease(
	candidates: readonly LiveRelease[],
	device: CheckinDevice,
	now: number,
	counter: SelectionCounter = {},
): Selection | undefined {
	if (candidates.length === 0) return undefined;
	const running = device.parsed ?? parseSemver(device.version);
	if (!running) return undefined;
	// One scope for the whole walk; only the release's version changes from one to the next.
	const scope: PolicyScope = {
		properties: device.properties,
		version: device.version,
		versionParsed: running,
		major: running.major,
		minor: running.minor,
		patch: running.patch,
		newVersion: '',
		newVersionParsed: null,
	};
	for (const release of candidates) {
		if (samePrecedence(release.semver, running)) continue;
		counter.countRequest?.(release);
		scope.newVersion = release.record.version;
		scope.newVersionParsed = release.semver;
		if (!release.policy.matches(scope)) continue;
		if (!admittedByPercentage(release.record.percentage, release.id, device.id)) continue;
		const grant = release.grants.get(device.id);
		if (grant) return { release, grant };
		if (release.hasRoom(now)) return { release, grant: undefined };
	}
	return undefined;
}

/** Equal SemVer precedence of two parsed versions (build metadata ignored). */
export function samePrecedence(a: SemVer, b: SemVer): boolean {
	if (a.major !== b.major || a.minor !== b.minor || a.patch !== b.patch || a.prerelease.length !== b.prerelease.length) return false;
	for (let i = 0; i < a.prerelease.length; i++) if (a.prerelease[i] !== b.prerelease[i]) return false;
	return true;
}
