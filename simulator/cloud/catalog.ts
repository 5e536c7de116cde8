/*
 * The releases the cloud serves, held in memory and indexed by product, newest first, with their
 * policies compiled: a check-in reads nothing from disk. Every change goes to the store before it
 * is acknowledged, except the check-in traffic counters (requests, offered), which are added up in
 * memory and written in batches by flush(); a crash loses at most the counts of one flush
 * interval, never a grant, a report or a release.
 *
 * Changes to the in-memory state are made synchronously before the store is awaited, so that two
 * check-ins racing for the last place under a limit cannot both get it.
 */
import { randomBytes } from 'node:crypto';
import { compareSemver } from '../../modules/semver';
import { CloudError, notFound } from './errors';
import { LiveRelease, type ReleaseCounters } from './live-release';
import { checkCombination, checkPolicy, DEFAULT_SETTINGS, type ReleaseSettings } from './release-fields';
import { checkAutoHaltConfig, DEFAULT_AUTO_HALT, type AutoHaltConfig } from './rollout/auto-halt';
import type { ImageFolder, ReceivedImage } from './store/image-folder';
import type { GrantRecord, ReleaseRecord, StoredReport, TrafficCounts, UpdateReport, ReleaseSignature } from './store/records';
import type { CloudStore } from './store/store';

/** A release as administrators see it. */
export interface ReleaseInfo extends Omit<ReleaseRecord, 'haltFrom'> {
	counters: ReleaseCounters;
}

export interface NewRelease {
	product: string;
	version: string;
	settings: Partial<ReleaseSettings>;
	image: ReceivedImage;
}

export class ReleaseCatalog {
	readonly #store: CloudStore;
	readonly #images: ImageFolder;
	readonly #autoHalt: AutoHaltConfig;
	readonly #log: (line: string) => void;
	readonly #releases = new Map<string, LiveRelease>();
	/** Enabled releases per product, newest first; rebuilt when releases change. */
	readonly #candidates = new Map<string, LiveRelease[]>();
	readonly #grantsByToken = new Map<string, { release: LiveRelease; grant: GrantRecord }>();
	/** Highest report sequence number seen, so an enabled release counts only later reports. */
	#lastReport = 0;

	private constructor(store: CloudStore, images: ImageFolder, autoHalt: AutoHaltConfig, log: (line: string) => void) {
		this.#store = store;
		this.#images = images;
		this.#autoHalt = autoHalt;
		this.#log = log;
	}

	static async open(store: CloudStore, images: ImageFolder, options: { autoHalt?: AutoHaltConfig; log?: (line: string) => void } = {}): Promise<ReleaseCatalog> {
		const catalog = new ReleaseCatalog(store, images, checkAutoHaltConfig(options.autoHalt ?? DEFAULT_AUTO_HALT), options.log ?? (() => {}));
		await catalog.#load();
		return catalog;
	}

	async #load(): Promise<void> {
		const grants = new Map<string, GrantRecord[]>();
		for (const grant of await this.#store.listGrants()) {
			const list = grants.get(grant.release) ?? [];
			list.push(grant);
			grants.set(grant.release, list);
		}
		const traffic = await this.#store.listTraffic();
		for (const record of await this.#store.listReleases()) {
			const release = new LiveRelease(record, grants.get(record.id));
			release.stored = traffic.get(record.id) ?? { requests: 0, offered: 0 };
			this.#releases.set(record.id, release);
			for (const grant of release.grants.values()) this.#grantsByToken.set(grant.token, { release, grant });
		}
		for (const { release, success, failure } of await this.#store.reportTotals()) {
			const live = this.#releases.get(release);
			if (live) {
				live.success = success;
				live.failure = failure;
			}
		}
		const reports = await this.#store.listReports({ limit: 1 });
		this.#lastReport = reports[0]?.seq ?? 0;
		for (const release of this.#releases.values()) {
			for (const report of await this.#store.listReports({ release: release.id, after: release.record.haltFrom })) {
				release.tally.record(report.id, report.success, report.reason);
			}
			// A halt decided just before a crash is decided again.
			if (release.record.enable) await this.#haltIfNeeded(release);
		}
		const removed = this.#images.sweep(new Set([...this.#releases.values()].map((r) => r.record.checksum)));
		if (removed.length > 0) this.#log(`removed ${removed.length} image file(s) no release refers to (left by an interrupted upload or delete)`);
		this.#reindex();
	}

	get(id: string): LiveRelease | undefined {
		return this.#releases.get(id);
	}

	/** All releases (of `product`), oldest first. */
	list(product?: string): LiveRelease[] {
		const all = [...this.#releases.values()].filter((r) => product === undefined || r.record.product === product);
		return all.sort((a, b) => a.record.created.localeCompare(b.record.created) || a.id.localeCompare(b.id));
	}

	/** Enabled releases of `product`, newest first. */
	candidates(product: string): readonly LiveRelease[] {
		return this.#candidates.get(product) ?? [];
	}

	byToken(token: string): { release: LiveRelease; grant: GrantRecord } | undefined {
		return this.#grantsByToken.get(token);
	}

	imagePath(release: LiveRelease | ReleaseRecord): string {
		return this.#images.path('record' in release ? release.record.checksum : release.checksum);
	}

	info(release: LiveRelease): ReleaseInfo {
		const visible: Partial<ReleaseRecord> = { ...release.record };
		delete visible.haltFrom;
		return { ...(visible as Omit<ReleaseRecord, 'haltFrom'>), counters: release.counters() };
	}

	async create(input: NewRelease): Promise<LiveRelease> {
		const settings: ReleaseSettings = { ...DEFAULT_SETTINGS, ...input.settings };
		checkCombination(settings);
		const same = this.list(input.product).find((r) => compareSemver(r.record.version, input.version) === 0);
		if (same) {
			input.image.discard();
			throw new CloudError(409, 'duplicate-version', `product ${input.product} already has release ${same.record.version} (id ${same.id})`);
		}
		const now = new Date().toISOString();
		const record: ReleaseRecord = {
			id: this.#newId(),
			product: input.product,
			version: input.version,
			...settings,
			checksum: input.image.checksum,
			size: input.image.size,
			created: now,
			updated: now,
			halted: null,
			haltFrom: this.#lastReport,
			manifest: null,
			signatures: null,
		};
		const release = new LiveRelease(record);
		// The image is in place before the record exists, and the release is in memory before the
		// store is awaited, so that a concurrent delete never removes an image about to be used.
		input.image.commit();
		this.#releases.set(record.id, release);
		try {
			await this.#store.insertRelease(record);
		} catch (error) {
			this.#releases.delete(record.id);
			if (!this.#referenced(record.checksum)) this.#images.remove(record.checksum);
			throw error;
		}
		this.#reindex();
		return release;
	}

	/** Edit the settings of a release; enabling a halted release clears the halt and its tally. */
	async update(id: string, changes: Partial<ReleaseSettings>, now = Date.now()): Promise<LiveRelease> {
		const release = this.#require(id);
		const before = release.record;
		const settings: ReleaseSettings = {
			description: before.description,
			policy: before.policy,
			enable: before.enable,
			limit: before.limit,
			percentage: before.percentage,
			rate: before.rate,
			period: before.period,
			downgrade: before.downgrade,
			...changes,
		};
		checkCombination(settings);
		const record: ReleaseRecord = { ...before, ...settings, updated: new Date().toISOString() };
		const enabling = settings.enable && !before.enable;
		if (enabling) {
			record.halted = null;
			record.haltFrom = this.#lastReport;
		}
		const policy = settings.policy !== before.policy ? checkPolicy(settings.policy) : release.policy;
		await this.#store.updateRelease(record);
		release.record = record;
		release.policy = policy;
		if (enabling) release.tally.clear();
		if (record.rate !== before.rate || record.period !== before.period) release.resetRate(now);
		this.#reindex();
		return release;
	}

	/** Attach the publisher's signed manifest (checked against the release by the caller). */
	async sign(id: string, manifest: string, signatures: ReleaseSignature[]): Promise<LiveRelease> {
		const release = this.#require(id);
		const record: ReleaseRecord = { ...release.record, manifest, signatures, updated: new Date().toISOString() };
		await this.#store.updateRelease(record);
		release.record = record;
		return release;
	}

	async remove(id: string): Promise<void> {
		const release = this.#require(id);
		await this.#store.deleteRelease(id);
		this.#releases.delete(id);
		for (const grant of release.grants.values()) this.#grantsByToken.delete(grant.token);
		if (!this.#referenced(release.record.checksum)) this.#images.remove(release.record.checksum);
		this.#reindex();
	}

	/** Give `release` to a device: the grant is stored before the device hears of it. */
	async grant(release: LiveRelease, device: string, now: number): Promise<GrantRecord> {
		const existing = release.grants.get(device);
		if (existing) return existing;
		const grant: GrantRecord = { release: release.id, device, token: this.#newToken(), offered: now, started: null };
		release.grants.set(device, grant);
		release.admitted(now);
		this.#grantsByToken.set(grant.token, { release, grant });
		try {
			await this.#store.insertGrant(grant);
		} catch (error) {
			release.grants.delete(device);
			this.#grantsByToken.delete(grant.token);
			throw error;
		}
		return grant;
	}

	/** The device began downloading the image (counted once per device). */
	async start(release: LiveRelease, grant: GrantRecord, now: number): Promise<void> {
		if (grant.started !== null) return;
		grant.started = now;
		release.started++;
		await this.#store.markStarted(release.id, grant.device, now);
	}

	countRequest(release: LiveRelease): void {
		release.pending.requests++;
	}

	countOffer(release: LiveRelease): void {
		release.pending.offered++;
	}

	/** Store an update report, count it, and halt the release if it now fails too often. */
	async report(report: UpdateReport): Promise<StoredReport> {
		const stored = await this.#store.appendReport(report);
		this.#lastReport = Math.max(this.#lastReport, stored.seq);
		const release = this.#releases.get(report.update);
		if (release) {
			if (report.success) release.success++;
			else release.failure++;
			release.tally.record(report.id, report.success, report.reason);
			if (release.record.enable) await this.#haltIfNeeded(release);
		}
		return stored;
	}

	/** Write the traffic counted since the last flush. */
	async flush(): Promise<void> {
		const deltas = new Map<string, TrafficCounts>();
		for (const release of this.#releases.values()) {
			if (release.pending.requests === 0 && release.pending.offered === 0) continue;
			deltas.set(release.id, release.pending);
		}
		if (deltas.size === 0) return;
		for (const [id] of deltas) {
			const release = this.#releases.get(id)!;
			release.stored = { requests: release.stored.requests + release.pending.requests, offered: release.stored.offered + release.pending.offered };
			release.pending = { requests: 0, offered: 0 };
		}
		try {
			await this.#store.addTraffic(deltas);
		} catch (error) {
			// Keep the counts for the next flush.
			for (const [id, delta] of deltas) {
				const release = this.#releases.get(id);
				if (!release) continue;
				release.stored = { requests: release.stored.requests - delta.requests, offered: release.stored.offered - delta.offered };
				release.pending = { requests: release.pending.requests + delta.requests, offered: release.pending.offered + delta.offered };
			}
			throw error;
		}
	}

	async #haltIfNeeded(release: LiveRelease): Promise<void> {
		const why = release.tally.verdict(this.#autoHalt);
		if (!why) return;
		const record: ReleaseRecord = { ...release.record, enable: false, halted: why, updated: new Date().toISOString() };
		await this.#store.updateRelease(record);
		release.record = record;
		this.#reindex();
		this.#log(`release ${release.id} (${record.product} ${record.version}) halted: ${why}`);
	}

	#require(id: string): LiveRelease {
		const release = this.#releases.get(id);
		if (!release) throw notFound(`no release with id ${JSON.stringify(id)}`);
		return release;
	}

	#referenced(checksum: string): boolean {
		for (const release of this.#releases.values()) if (release.record.checksum === checksum) return true;
		return false;
	}

	#reindex(): void {
		this.#candidates.clear();
		for (const release of this.#releases.values()) {
			if (!release.record.enable) continue;
			const list = this.#candidates.get(release.record.product) ?? [];
			list.push(release);
			this.#candidates.set(release.record.product, list);
		}
		for (const list of this.#candidates.values()) {
			// Newest first; equal precedence cannot happen (refused on create).
			list.sort((a, b) => compareSemver(b.semver, a.semver));
		}
	}

	#newId(): string {
		for (;;) {
			const id = randomBytes(8).toString('hex');
			if (!this.#releases.has(id)) return id;
		}
	}

	#newToken(): string {
		for (;;) {
			const token = randomBytes(16).toString('hex');
			if (!this.#grantsByToken.has(token)) return token;
		}
	}
}
