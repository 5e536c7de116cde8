/*
 * A fleet run: N in-memory devices (memory-device.ts) with varied properties (population.ts)
 * against a device cloud, through a staged rollout of one release (rollout-plan.ts).
 *
 * The release is published with the first stage's percentage (and the plan's limit, rate and
 * policy). Each stage is one check period of device time: every device not yet on the new
 * version checks in once (a wave, `concurrency` devices at a time), then the percentage of the
 * live release is raised through the admin API and the next stage begins. Within a stage,
 * devices whose cycle failed on the way (a flaky network) check again in a follow-up wave, and
 * under a rate limit the devices turned away check again once the rate window has moved on.
 * Between waves the devices' clocks move on by a check period at once; the devices sleep.
 *
 * The devices live in shards (fleet-shard.ts): all in this process, sharing one event loop and one
 * TLS session cache, or spread over child processes to use more cores. The run here decides who
 * checks in when and keeps the tally. The cloud runs wherever the caller started it
 * (cloud-process.ts puts it in a child process of its own).
 */
import { createRelease, getRelease, updateRelease, type AdminConnection, type ReleaseInfo } from '../cloud/admin-client';
import { makeImage } from '../image';
import type { DeviceRun } from './memory-device';
import { checkPlan, type RolloutPlan } from './rollout-plan';
import { checkFlakyOptions, type FlakyCounts } from './flaky-network';
import { FleetShard, fleetProfiles, type FaultMix, type Shard, type ShardOptions, type ShardState } from './fleet-shard';
import { spawnShard } from './shard-process';

export type { FaultMix } from './fleet-shard';

export interface FleetCloudConnection {
	url: string;
	caPem: string;
	fleetToken: string;
	adminToken: string;
}

export interface FleetRunOptions {
	cloud: FleetCloudConnection;
	devices: number;
	seed: string;
	product: string;
	/** The version the release brings. */
	to: string;
	/** The versions the devices start on, with their shares. */
	from: readonly { version: string; weight: number }[];
	/** Bytes of every firmware image (factory and release). */
	imageSize: number;
	plan: RolloutPlan;
	faults?: FaultMix;
	/** Devices working at the same time (shared among the shards). */
	concurrency: number;
	/**
	 * Processes the devices run in: 1 (the default) runs them all in this process; more starts
	 * that many child processes, each with every n-th device, so that a large fleet uses more
	 * than one core.
	 */
	shards?: number;
	/** Device time between two check-ins of a device (one stage). */
	checkPeriodMs: number;
	/** Idle waits of the devices (backoff, deadlines) pass this many times faster. */
	idleScale: number;
	/** Resume TLS sessions across the fleet; default true. */
	sessions?: boolean;
	/** Host names the devices dial and the addresses to use instead; default localhost → 127.0.0.1. */
	hostAliases?: Record<string, string>;
	onProgress?: (progress: FleetProgress) => void;
	signal?: AbortSignal;
	log?: (line: string) => void;
}

export interface FleetProgress {
	phase: 'publishing' | 'wave' | 'waiting' | 'done';
	/** 1-based. */
	stage: number;
	stages: number;
	percentage: number | null;
	/** 1-based within the stage. */
	wave: number;
	waveDone: number;
	waveSize: number;
	devices: number;
	updated: number;
	failing: number;
	checkins: number;
	elapsedMs: number;
}

export interface StageSummary {
	percentage: number | null;
	waves: number;
	/** Device cycles run (each begins with a check-in). */
	checkins: number;
	/** Cycles in which the release was offered. */
	offered: number;
	/** Devices that moved to the new version in this stage. */
	updated: number;
	/** Devices on the new version at the end of the stage. */
	updatedTotal: number;
	/** Devices whose last cycle in the stage failed. */
	failed: number;
	wallMs: number;
}

export interface FleetSummary {
	devices: number;
	seed: string;
	product: string;
	to: string;
	imageSize: number;
	/** The release as the cloud reports it at the end (settings and counters). */
	release: ReleaseInfo;
	stages: StageSummary[];
	versionsBefore: Record<string, number>;
	versionsAfter: Record<string, number>;
	/** Outcomes of every device cycle. */
	outcomes: Record<string, number>;
	/** Reasons of the cycles that did not update. */
	reasons: Record<string, number>;
	reports: {
		/** Reports the cloud counted for the release. */
		success: number;
		failure: number;
		/** Reports the devices still hold (not delivered). */
		undelivered: number;
	};
	tls: { full: number; resumed: number };
	faults: { devices: number } & FlakyCounts;
	/** Processes the devices ran in. */
	shards: number;
	/** Cycles that threw instead of settling: bugs, not faults. */
	errors: number;
	errorSamples: string[];
	interrupted: boolean;
	wallMs: number;
	/** Device time the run covered (check periods). */
	deviceTimeMs: number;
	/** CPU time of this process and of the shards' processes. */
	fleetCpuMs: number;
}

/** What the run knows of each device: where it runs and how its last cycle went. */
interface Member {
	id: string;
	shard: number;
	version: string;
	last: DeviceRun | undefined;
	offered: boolean;
}

/** Failures a later check may get past: the path to the device, not the release. */
const TRANSIENT = new Set(['CONNECTION_LOST', 'TIMEOUT', 'DOWNLOAD_FAILED', 'BAD_RESPONSE', 'CHECKIN_REFUSED', 'INTERRUPTED']);
/** Follow-up waves of a stage at most (failures, rate windows). */
const MAX_FOLLOW_UPS = 12;
const MAX_CONCURRENCY = 4096;
const MAX_SHARDS = 16;

export function checkFleetOptions(options: FleetRunOptions): void {
	if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1 || options.concurrency > MAX_CONCURRENCY) {
		throw new RangeError(`concurrency must be 1 to ${MAX_CONCURRENCY}, not ${options.concurrency}`);
	}
	if (!Number.isSafeInteger(options.imageSize) || options.imageSize < 1024 || options.imageSize > 16 * 1024 * 1024) {
		throw new RangeError(`image size must be 1 KiB to 16 MiB, not ${options.imageSize}`);
	}
	if (!(options.checkPeriodMs >= 0) || !Number.isFinite(options.checkPeriodMs)) throw new RangeError(`check period must be a number of ms >= 0, not ${options.checkPeriodMs}`);
	if (!(options.idleScale >= 1) || !Number.isFinite(options.idleScale)) throw new RangeError(`idle scale must be >= 1, not ${options.idleScale}`);
	checkPlan(options.plan);
	const shards = options.shards ?? 1;
	if (!Number.isSafeInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new RangeError(`shards must be 1 to ${MAX_SHARDS}, not ${shards}`);
	if (options.faults) {
		const { share, refuse, cut } = options.faults;
		if (!(share >= 0 && share <= 1)) throw new RangeError(`the share of faulty devices is 0 to 1, not ${share}`);
		checkFlakyOptions({ refuse, cut, random: Math.random });
	}
}

export async function runFleet(options: FleetRunOptions): Promise<FleetSummary> {
	checkFleetOptions(options);
	const started = performance.now();
	const cpuStart = process.cpuUsage();
	const { plan, cloud } = options;
	const admin: AdminConnection = { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
	const stages: (number | null)[] = plan.stages.length > 0 ? plan.stages : [null];
	const progress: FleetProgress = {
		phase: 'publishing', stage: 1, stages: stages.length, percentage: stages[0]!, wave: 0, waveDone: 0, waveSize: 0,
		devices: options.devices, updated: 0, failing: 0, checkins: 0, elapsedMs: 0,
	};
	const emit = () => {
		progress.elapsedMs = performance.now() - started;
		options.onProgress?.({ ...progress });
	};
	emit();

	const shardCount = options.shards ?? 1;
	const members: Member[] = fleetProfiles(options).map((profile, index) => ({
		id: profile.id, shard: index % shardCount, version: profile.version, last: undefined, offered: false,
	}));
	const byId = new Map(members.map((m) => [m.id, m]));
	const versionsBefore = histogram(members.map((m) => m.version));
	const shards = await startShards(options, shardCount);
	const stopAll = () => {
		for (const shard of shards) shard.stop();
	};
	options.signal?.addEventListener('abort', stopAll);
	try {
		const release = await createRelease({
			...admin,
			product: options.product,
			version: options.to,
			image: makeImage({ product: options.product, version: options.to }, options.imageSize),
			description: `fleet run: ${options.devices} devices, seed ${options.seed}`,
			policy: plan.policy,
			percentage: stages[0],
			limit: plan.limit,
			rate: plan.rate,
			period: plan.period,
		});

		const outcomes: Record<string, number> = {};
		const reasons: Record<string, number> = {};
		let deviceTime = Date.now();
		const startTime = deviceTime;
		const stageSummaries: StageSummary[] = [];
		const onTarget = (m: Member) => m.version === options.to;
		const aborted = () => options.signal?.aborted === true;

		const wave = async (group: Member[]): Promise<{ offered: number; newlyOffered: number }> => {
			progress.phase = 'wave';
			progress.wave++;
			progress.waveDone = 0;
			progress.waveSize = group.length;
			emit();
			let offered = 0;
			let newlyOffered = 0;
			const onRun = (id: string, run: DeviceRun | null) => {
				const member = byId.get(id)!;
				const wasFailing = member.last?.outcome === 'failed';
				member.last = run ?? undefined;
				progress.checkins++;
				progress.waveDone++;
				if (run) {
					member.version = run.after;
					outcomes[run.outcome] = (outcomes[run.outcome] ?? 0) + 1;
					if (run.reason && run.outcome !== 'updated') reasons[run.reason] = (reasons[run.reason] ?? 0) + 1;
					if (run.update === release.id) {
						offered++;
						if (!member.offered) newlyOffered++;
						member.offered = true;
					}
					if (run.outcome === 'updated' && run.after === options.to && run.before !== options.to) progress.updated++;
				}
				const failing = run === null || run.outcome === 'failed';
				if (failing !== wasFailing) progress.failing += failing ? 1 : -1;
				if (progress.waveDone % 50 === 0) emit();
			};
			if (!aborted()) {
				await Promise.all(shards.map((shard, index) => {
					const ids = group.filter((m) => m.shard === index).map((m) => m.id);
					return ids.length > 0 ? shard.wave(ids, deviceTime, onRun) : undefined;
				}));
			}
			// The devices sleep until their next check.
			deviceTime += options.checkPeriodMs;
			emit();
			return { offered, newlyOffered };
		};

		for (const [index, percentage] of stages.entries()) {
			if (aborted()) break;
			const stageStart = performance.now();
			const updatedBefore = progress.updated;
			const checkinsBefore = progress.checkins;
			progress.stage = index + 1;
			progress.percentage = percentage;
			progress.wave = 0;
			if (index > 0) {
				progress.phase = 'publishing';
				emit();
				await updateRelease({ ...admin, id: release.id, changes: { percentage } });
			}
			let offered = 0;
			let waveStart = performance.now();
			let result = await wave(members.filter((m) => !onTarget(m)));
			offered += result.offered;
			for (let n = 0; n < MAX_FOLLOW_UPS && !aborted(); n++) {
				const retry = members.filter((m) => !onTarget(m) && m.last?.outcome === 'failed' && TRANSIENT.has(m.last.reason ?? ''));
				const limitReached = plan.limit !== null && members.filter((m) => m.offered).length >= plan.limit;
				const rateBound = plan.rate !== null && result.newlyOffered > 0 && !limitReached;
				const turnedAway = rateBound ? members.filter((m) => !onTarget(m) && m.last?.outcome === 'none') : [];
				if (retry.length === 0 && turnedAway.length === 0) break;
				if (turnedAway.length > 0) {
					// The rate window admits new devices again once a period has passed since it filled.
					const wait = waveStart + plan.period! * 1000 - performance.now();
					if (wait > 0) {
						progress.phase = 'waiting';
						emit();
						await sleep(wait, options.signal);
					}
				}
				waveStart = performance.now();
				result = await wave([...retry, ...turnedAway]);
				offered += result.offered;
			}
			stageSummaries.push({
				percentage,
				waves: progress.wave,
				checkins: progress.checkins - checkinsBefore,
				offered,
				updated: progress.updated - updatedBefore,
				updatedTotal: members.filter(onTarget).length,
				failed: members.filter((m) => !onTarget(m) && m.last?.outcome === 'failed').length,
				wallMs: Math.round(performance.now() - stageStart),
			});
		}

		progress.phase = 'done';
		emit();
		const final = await getRelease({ ...admin, id: release.id });
		const states = await Promise.all(shards.map((shard) => shard.state()));
		const closed = await closeShards(shards);
		const cpu = process.cpuUsage(cpuStart);
		const versionsAfter: Record<string, number> = {};
		for (const state of states) for (const [version, n] of Object.entries(state.versions)) versionsAfter[version] = (versionsAfter[version] ?? 0) + n;
		const sum = (pick: (state: ShardState) => number) => states.reduce((total, state) => total + pick(state), 0);
		return {
			devices: options.devices,
			seed: options.seed,
			product: options.product,
			to: options.to,
			imageSize: options.imageSize,
			release: final,
			stages: stageSummaries,
			versionsBefore,
			versionsAfter,
			outcomes,
			reasons,
			reports: { success: final.counters.success, failure: final.counters.failure, undelivered: sum((s) => s.undelivered) },
			tls: { full: sum((s) => s.tls.full), resumed: sum((s) => s.tls.resumed) },
			faults: { devices: sum((s) => s.faults.devices), refused: sum((s) => s.faults.refused), cut: sum((s) => s.faults.cut) },
			errors: sum((s) => s.errors),
			errorSamples: states.flatMap((s) => s.errorSamples).slice(0, 5),
			interrupted: aborted(),
			shards: shardCount,
			wallMs: Math.round(performance.now() - started),
			deviceTimeMs: deviceTime - startTime,
			fleetCpuMs: Math.round((cpu.user + cpu.system) / 1000) + closed.reduce((total, c) => total + (c.cpuMs ?? 0), 0),
		};
	} finally {
		options.signal?.removeEventListener('abort', stopAll);
		await closeShards(shards);
	}
}

/** One shard in this process, or that many child processes, each with a share of the devices. */
async function startShards(options: FleetRunOptions, count: number): Promise<Shard[]> {
	const shardOptions = (shard: number): ShardOptions => ({
		cloud: { url: options.cloud.url, caPem: options.cloud.caPem, fleetToken: options.cloud.fleetToken },
		devices: options.devices,
		seed: options.seed,
		product: options.product,
		from: options.from,
		imageSize: options.imageSize,
		faults: options.faults,
		idleScale: options.idleScale,
		concurrency: Math.max(1, Math.ceil(options.concurrency / count)),
		sessions: options.sessions,
		hostAliases: options.hostAliases,
		shard,
		shards: count,
	});
	if (count === 1) return [new FleetShard(shardOptions(0))];
	const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => spawnShard(shardOptions(i))));
	const shards = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
	const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
	if (failed) {
		await closeShards(shards);
		throw failed.reason;
	}
	return shards;
}

/** Close every shard (idempotent); the CPU time each child process used. */
function closeShards(shards: Shard[]): Promise<{ cpuMs?: number }[]> {
	return Promise.all(shards.map((shard) => shard.close()));
}

function histogram(values: readonly string[]): Record<string, number> {
	const out: Record<string, number> = {};
	for (const v of values) out[v] = (out[v] ?? 0) + 1;
	return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}
		signal?.addEventListener('abort', done, { once: true });
	});
}
