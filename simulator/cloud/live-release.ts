/*
 * A release as the check-in path needs it: the stored record plus everything derived from it
 * once (its compiled policy, its parsed version) and the rollout state that changes with every
 * device (who was given it, admissions in the rate window, counters, the auto-halt tally).
 */
import { parseSemver, type SemVer } from '../../modules/semver';
import type { Policy } from './policy/policy';
import { compilePolicy } from './policy/policy';
import { HaltTally } from './rollout/auto-halt';
import { RateWindow } from './rollout/rate-window';
import type { GrantRecord, ReleaseRecord, TrafficCounts } from './store/records';

/** Builder's metrics for one release. */
export interface ReleaseCounters {
	/** Check-ins that considered the release. */
	requests: number;
	/** Check-in answers that offered it. */
	offered: number;
	/** Distinct devices given it (what `limit` counts). */
	devices: number;
	/** Distinct devices that began downloading its image. */
	started: number;
	/** Update reports of success and of failure. */
	success: number;
	failure: number;
}

export class LiveRelease {
	record: ReleaseRecord;
	policy: Policy;
	readonly semver: SemVer;
	/** Grants by device id. */
	readonly grants = new Map<string, GrantRecord>();
	/** Admission times within the rate period (empty without a rate). */
	rate: RateWindow;
	readonly tally = new HaltTally();
	/** Traffic already stored, and traffic since the last flush. */
	stored: TrafficCounts = { requests: 0, offered: 0 };
	pending: TrafficCounts = { requests: 0, offered: 0 };
	started = 0;
	success = 0;
	failure = 0;

	constructor(record: ReleaseRecord, grants: readonly GrantRecord[] = []) {
		this.record = record;
		// Stored policies were checked when they were saved.
		this.policy = compilePolicy(record.policy);
		const parsed = parseSemver(record.version);
		if (!parsed) throw new Error(`release ${record.id} has an invalid version ${JSON.stringify(record.version)}`);
		this.semver = parsed;
		for (const grant of grants) {
			this.grants.set(grant.device, grant);
			if (grant.started !== null) this.started++;
		}
		this.rate = new RateWindow();
		this.resetRate();
	}

	/** Rebuild the rate window from the grants, after a start or a change of rate or period. */
	resetRate(now = Date.now()): void {
		const { rate, period } = this.record;
		const since = period === null ? Infinity : now - period * 1000;
		const times: number[] = [];
		if (rate !== null) for (const grant of this.grants.values()) if (grant.offered > since) times.push(grant.offered);
		this.rate = new RateWindow(times);
	}

	/** Note that a device was just admitted. */
	admitted(now: number): void {
		if (this.record.rate !== null && this.record.period !== null) this.rate.record(now, this.record.period);
	}

	get id(): string {
		return this.record.id;
	}

	counters(): ReleaseCounters {
		return {
			requests: this.stored.requests + this.pending.requests,
			offered: this.stored.offered + this.pending.offered,
			devices: this.grants.size,
			started: this.started,
			success: this.success,
			failure: this.failure,
		};
	}

	/** Whether a device not yet given the release may be admitted by limit and rate now. */
	hasRoom(now: number): boolean {
		const { limit, rate, period } = this.record;
		if (limit !== null && this.grants.size >= limit) return false;
		return this.rate.allows(rate, period, now);
	}
}
