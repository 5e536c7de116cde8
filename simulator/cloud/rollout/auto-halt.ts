/*
 * Auto-halt: a release whose devices keep failing is disabled before it reaches the rest of the
 * fleet (hawkBit's error condition, AWS IoT Jobs' abort criteria).
 *
 * Only failures that say something about the release count:
 * - counted: the image is wrong or does not fit (INTEGRITY_CHECK_FAILURE, NOT_ENOUGH_SPACE,
 *   DOWNGRADE_REFUSED), writing it failed (FLASH_ERROR), or the new firmware did not hold
 *   (SELF_TEST_FAILED, ROLLED_BACK, APP_ROLLBACK, AGENT_CRASHED);
 * - not counted: the path to the device failed and the agent will retry (CONNECTION_LOST,
 *   TIMEOUT, DOWNLOAD_FAILED, BAD_RESPONSE, CHECKIN_REFUSED), the device lost power
 *   (INTERRUPTED), its configuration is wrong (CONFIG_ERROR), its application declined the
 *   update (VETOED), or it repeats an earlier failure of the same release (RELEASE_BLOCKED,
 *   already counted when it first failed). Counting these would halt a good release during a
 *   network outage.
 * A failure without a reason, or with a reason this cloud does not know (free text from
 * another updater), counts: when in doubt, stop.
 *
 * Devices, not reports, are counted, and a device's latest report since the release was last
 * enabled decides: a device that failed once and then succeeded is a success.
 */

/** Failure reasons (modules/reasons.ts codes) that do not count towards auto-halt. */
export const NOT_COUNTED_REASONS: ReadonlySet<string> = new Set([
	'CONNECTION_LOST',
	'TIMEOUT',
	'DOWNLOAD_FAILED',
	'BAD_RESPONSE',
	'CHECKIN_REFUSED',
	'INTERRUPTED',
	'CONFIG_ERROR',
	'VETOED',
	'RELEASE_BLOCKED',
]);

export function countsTowardsHalt(success: boolean, reason: string | undefined): boolean {
	return !success && (reason === undefined || !NOT_COUNTED_REASONS.has(reason));
}

export interface AutoHaltConfig {
	/** Halt when this many devices failed (null: never by count). */
	failures: number | null;
	/** Halt when this percentage of the reporting devices failed (null: never by share)... */
	percentage: number | null;
	/** ...once at least this many devices reported. */
	minDevices: number;
}

export const DEFAULT_AUTO_HALT: AutoHaltConfig = { failures: 10, percentage: 20, minDevices: 10 };

/** The latest counted outcome of each device for one release. */
export class HaltTally {
	readonly #outcomes = new Map<string, { success: boolean; reason: string | undefined }>();

	/** Record a report; reports that neither succeed nor count as failures change nothing. */
	record(device: string, success: boolean, reason: string | undefined): void {
		if (success || countsTowardsHalt(success, reason)) this.#outcomes.set(device, { success, reason });
	}

	clear(): void {
		this.#outcomes.clear();
	}

	get failed(): number {
		let n = 0;
		for (const outcome of this.#outcomes.values()) if (!outcome.success) n++;
		return n;
	}

	get reported(): number {
		return this.#outcomes.size;
	}

	/** Why the release must halt, or undefined when it may go on. */
	verdict(config: AutoHaltConfig): string | undefined {
		const failed = this.failed;
		if (failed === 0) return undefined;
		const reported = this.reported;
		const share = (failed / reported) * 100;
		let rule: string | undefined;
		if (config.failures !== null && failed >= config.failures) {
			rule = `the limit is ${config.failures}`;
		} else if (config.percentage !== null && reported >= config.minDevices && share >= config.percentage) {
			rule = `the limit is ${config.percentage}% once ${config.minDevices} devices reported`;
		}
		if (!rule) return undefined;
		return `auto-halt: ${failed} of ${reported} reporting devices failed (${formatShare(share)}%; ${this.#reasons()}); ${rule}`;
	}

	#reasons(): string {
		const counts = new Map<string, number>();
		for (const outcome of this.#outcomes.values()) {
			if (outcome.success) continue;
			const reason = outcome.reason ?? 'no reason given';
			counts.set(reason, (counts.get(reason) ?? 0) + 1);
		}
		return [...counts].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${reason} x${n}`).join(', ');
	}
}

function formatShare(share: number): string {
	return Number.isInteger(share) ? String(share) : share.toFixed(1);
}

/** Check a configuration given by an operator. */
export function checkAutoHaltConfig(config: AutoHaltConfig): AutoHaltConfig {
	const { failures, percentage, minDevices } = config;
	if (failures !== null && (!Number.isSafeInteger(failures) || failures < 1)) {
		throw new Error(`auto-halt failures must be a whole number of at least 1, or null to turn it off (got ${failures})`);
	}
	if (percentage !== null && (typeof percentage !== 'number' || !(percentage > 0 && percentage <= 100))) {
		throw new Error(`auto-halt percentage must be above 0 and at most 100, or null to turn it off (got ${percentage})`);
	}
	if (!Number.isSafeInteger(minDevices) || minDevices < 1) {
		throw new Error(`auto-halt minDevices must be a whole number of at least 1 (got ${minDevices})`);
	}
	return { failures, percentage, minDevices };
}
