/*
 * One fault scenario, end to end: a fresh device on its factory image, one newer release of its
 * own product, a list of faults in the proxy's plan for that device, then cycles of the real
 * agent (runDeviceOnce on Node) until the device runs the release, checking the invariants
 * (invariants.ts) after every cycle and at every activation.
 *
 * Sometimes the release's image is corrupted at rest in the cloud: every download then verifies
 * as bad, and the device must stay on its factory image without ever activating it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import JSON5 from 'json5';
import { initDevice } from '../device/device-folder';
import { runDeviceOnce, type RunResult } from '../device/run-device';
import type { AgentHandle } from '../device/agent-handle';
import { makeImage } from '../image';
import type { Cloud } from '../cloud/server';
import { createRelease } from '../cloud/admin-client';
import { otherSlot } from '../../hosts/sim/flash/layout';
import type { LogLevel } from '../../modules/ports';
import { describeFault, type PlannedFault } from './faults';
import { FaultPlan, type Exchange } from './fault-plan';
import type { FaultProxy } from './fault-proxy';
import { dice, randomFaults } from './random-faults';
import { accountWaste, type WasteReport } from './waste';
import { checkActivation, checkBoot, sha256Hex, type PublishedImage, type Violation } from './invariants';

export interface ScenarioSpec {
	index: number;
	/** Seed text of this scenario's random choices (the campaign seed and the index). */
	seed: string;
	product: string;
	deviceId: string;
	/** Version of the factory image, and of the release. */
	from: string;
	to: string;
	factorySize: number;
	imageSize: number;
	slotSize: number;
	faults: PlannedFault[];
	/** Byte of the release image flipped at rest in the cloud; undefined when the image is intact. */
	corruptAtRest?: number;
	/** Cycles the device gets to reach the release. */
	maxCycles: number;
	/** The device's timeouts (ioto.json5 durations); default SCENARIO_DEVICE_CONFIG.timeouts. */
	timeouts?: { api?: string; idle?: string; download?: string };
}

/**
 * What the scenario adds to the device's ioto.json5: quick retries, short timeouts. The idle
 * timeout is what a stall costs; the api timeout is what a check-in stalled before its head costs.
 */
export const SCENARIO_DEVICE_CONFIG = {
	update: { retry: { attempts: 8, base: '5ms', cap: '50ms' } },
	timeouts: { api: '3 secs', idle: '300ms', download: '5 mins' },
};

const KIB = 1024;
export const MIN_IMAGE = 40 * KIB;
export const MAX_IMAGE = 300 * KIB;
/** Whole 4 KiB sectors, room for the largest image. */
const SLOT_SIZE = 320 * KIB;
const CYCLES = 12;
/** A release corrupt at rest is offered this many times; it must be refused each time. */
const CORRUPT_CYCLES = 3;
const CORRUPT_AT_REST = 0.02;

/** The scenario `index` of the campaign seeded `seed`: the same spec for the same pair. */
export function scenarioSpec(seed: string | number, index: number): ScenarioSpec {
	if (!Number.isSafeInteger(index) || index < 0) throw new Error(`scenario index must be an integer >= 0, not ${index}`);
	const text = `${seed}:${index}`;
	const d = dice(text);
	const imageSize = d.int(MIN_IMAGE, MAX_IMAGE);
	const factorySize = d.int(MIN_IMAGE, MAX_IMAGE);
	const corrupt = d.chance(CORRUPT_AT_REST);
	const tag = tagOf(String(seed));
	return {
		index,
		seed: text,
		product: `faults-${tag}-${index}`,
		deviceId: `fdev-${tag}-${index}`,
		from: '1.0.0',
		to: '1.1.0',
		factorySize,
		imageSize,
		slotSize: SLOT_SIZE,
		faults: randomFaults(d, imageSize),
		corruptAtRest: corrupt ? d.int(0, imageSize - 1) : undefined,
		maxCycles: corrupt ? CORRUPT_CYCLES : CYCLES,
	};
}

/** Where a scenario runs: the shared cloud and proxy, and a folder for device folders. */
export interface ScenarioWorld {
	readonly cloud: Cloud;
	proxy: FaultProxy;
	root: string;
}

export interface ScenarioHooks {
	/** Called with each agent started (two per cycle when the device restarts), to add watchers. */
	onAgent?(agent: AgentHandle, cycle: number, dir: string): void;
	/** Called after each cycle, before the checks (tests break devices here on purpose). */
	afterCycle?(dir: string, cycle: number): void;
	log?(level: LogLevel, message: string): void;
	/** Keep the device folder instead of removing it. */
	keep?: boolean;
}

/**
 * updated      runs the release
 * refused      the release was corrupt at rest; still runs its factory image, never activated it
 * rolled-back  took the release, its trial failed (say, the check-in of its self-test met
 *              faults) and went back; the agent blocks that release from then on
 * unfinished   still on the factory image after maxCycles
 * bricked      does not boot
 */
export type ScenarioOutcome = 'updated' | 'refused' | 'rolled-back' | 'unfinished' | 'bricked';

export interface ScenarioResult {
	index: number;
	seed: string;
	faults: string[];
	corruptAtRest: boolean;
	imageSize: number;
	outcome: ScenarioOutcome;
	/** Ended as it should (updated, or refused a corrupt release) with no invariant broken. */
	completed: boolean;
	cycles: number;
	/** The version that runs at the end ('' when bricked). */
	version: string;
	/** Each cycle's outcome and reason, e.g. "failed:CONNECTION_LOST". */
	outcomes: string[];
	waste: WasteReport;
	/** What the proxy did with each request of the scenario, in order. */
	exchanges: Exchange[];
	/** Broken invariants; empty when all held. */
	violations: Violation[];
	/** Fault requests no request met (bursts count each request). */
	unusedFaults: number;
	ms: number;
}

export async function runScenario(world: ScenarioWorld, spec: ScenarioSpec, hooks: ScenarioHooks = {}): Promise<ScenarioResult> {
	const started = Date.now();
	const { cloud, proxy } = world;
	const dir = path.join(world.root, 'devices', spec.deviceId);
	const factory = makeImage({ product: spec.product, version: spec.from }, spec.factorySize);
	initDevice({
		dir, id: spec.deviceId, product: spec.product, version: spec.from, cloud: proxy.url, caPem: cloud.caPem,
		token: cloud.fleetToken, slotSize: spec.slotSize, imageSize: spec.factorySize,
	});
	configureDevice(dir, spec.timeouts);
	const created = await createRelease({
		cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken,
		product: spec.product, version: spec.to, image: makeImage({ product: spec.product, version: spec.to }, spec.imageSize),
	});
	if (spec.corruptAtRest !== undefined) flipByte(cloud.store.imagePath(created), spec.corruptAtRest);
	const release = { version: spec.to, checksum: created.checksum, size: spec.imageSize };
	const published: PublishedImage[] = [{ version: spec.from, checksum: sha256Hex(factory) }, release];
	const plan = new FaultPlan(spec.faults);
	const detach = proxy.attach(plan, { deviceId: spec.deviceId, checksum: created.checksum });
	const violations: Violation[] = [];
	const outcomes: string[] = [];
	let outcome: ScenarioOutcome = 'unfinished';
	let version = '';
	let cycles = 0;
	try {
		let check = checkBoot(dir, published);
		if (check.violation) violations.push(check.violation);
		while (check.booted && cycles < spec.maxCycles) {
			const cycle = ++cycles;
			const inactive = otherSlot(check.booted.slot);
			let activated = false;
			let result: RunResult;
			try {
				result = await runDeviceOnce(dir, {
					engine: 'node',
					log: hooks.log,
					onAgent(agent) {
						agent.watch('update:progress', (p: { received: number }) => {
							plan.deviceReceived = p.received;
						});
						agent.watch('update:state', (s: { state: string }) => {
							if (s.state !== 'activating') return;
							activated = true;
							const bad = checkActivation(dir, inactive, release);
							if (bad) violations.push(bad);
						});
						hooks.onAgent?.(agent, cycle, dir);
					},
				});
			} catch (error) {
				violations.push({ kind: 'agent-threw', message: `cycle ${cycle}: ${(error as Error).stack ?? String(error)}` });
				break;
			}
			outcomes.push(result.reason ? `${result.outcome}:${result.reason}` : result.outcome);
			hooks.afterCycle?.(dir, cycle);
			check = checkBoot(dir, published);
			if (check.violation) violations.push(check.violation);
			if (result.outcome === 'rolledback' && !activated) {
				// A switch the agent never announced: whatever it switched to must still be the release.
				const bad = checkActivation(dir, inactive, release);
				if (bad) violations.push(bad);
			}
			if (!check.booted) break;
			if (check.booted.version === spec.to) {
				outcome = 'updated';
				break;
			}
			if (result.outcome === 'rolledback' || result.reason === 'RELEASE_BLOCKED') {
				outcome = 'rolled-back';
				break;
			}
		}
		if (!check.booted) outcome = 'bricked';
		else {
			version = check.booted.version;
			if (outcome === 'unfinished' && spec.corruptAtRest !== undefined && version === spec.from) outcome = 'refused';
		}
	} finally {
		detach();
		if (!hooks.keep) fs.rmSync(dir, { recursive: true, force: true });
	}
	const expected = spec.corruptAtRest === undefined ? 'updated' : 'refused';
	return {
		index: spec.index,
		seed: spec.seed,
		faults: spec.faults.map(describeFault),
		corruptAtRest: spec.corruptAtRest !== undefined,
		imageSize: spec.imageSize,
		outcome,
		completed: outcome === expected && violations.length === 0,
		cycles,
		version,
		outcomes,
		waste: accountWaste(plan.images, spec.imageSize),
		exchanges: plan.exchanges,
		violations,
		unusedFaults: plan.pending,
		ms: Date.now() - started,
	};
}

/** Add the scenario's retry and timeout settings to the device's ioto.json5. */
export function configureDevice(dir: string, timeouts: ScenarioSpec['timeouts'] = {}): void {
	const file = path.join(dir, 'config', 'ioto.json5');
	const config = JSON5.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
	config.update = { ...config.update, ...SCENARIO_DEVICE_CONFIG.update };
	config.timeouts = { ...config.timeouts, ...SCENARIO_DEVICE_CONFIG.timeouts, ...timeouts };
	fs.writeFileSync(file, `${JSON5.stringify(config, null, 4)}\n`);
}

function flipByte(file: string, at: number): void {
	const bytes = fs.readFileSync(file);
	if (at < 0 || at >= bytes.length) throw new Error(`cannot corrupt byte ${at} of a ${bytes.length}-byte image`);
	bytes[at] ^= 0xff;
	fs.writeFileSync(file, bytes);
}

/** A short tag of the campaign seed, so products of different campaigns never collide. */
function tagOf(seed: string): string {
	let h = 2166136261;
	for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
	return (h >>> 0).toString(36);
}
