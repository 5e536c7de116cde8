/*
 * A campaign: N seeded scenarios (scenario.ts) against one cloud behind one fault proxy, a few
 * at a time, summed up in one object. The same seed gives the same scenarios and the same
 * faults; timing (and so the exact bytes a stalled or trickled answer carried before a timeout)
 * may differ from run to run, the verdicts may not.
 *
 * `failures` lists every broken invariant (a device that does not boot, runs bytes nobody
 * published, or activated an image that is not the release's), and every scenario the harness
 * could not check to the end (the agent threw, the scenario's setup failed, or it hung; a hung
 * scenario is left to end on its own, its device gives up when the world closes). A campaign is
 * good when `failures` is empty. Scenarios that ended safely but not updated (a trial that
 * failed and was rolled back, a device still trying after its cycles) are not failures;
 * `completed` tells how many ended as they should.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startFaultWorld, type FaultWorld } from './world';
import { runScenario, scenarioSpec, type ScenarioHooks, type ScenarioResult } from './scenario';
import type { ViolationKind } from './invariants';
import { describeFault } from './faults';

export interface CampaignOptions {
	scenarios: number;
	seed: string | number;
	/** Scenarios running at once; default 8. */
	concurrency?: number;
	/** Progress lines. */
	log?: (line: string) => void;
	/** Where the campaign's folder (cloud and devices, removed at the end) goes; default defaultCampaignRoot(). */
	root?: string;
	/** Scenarios one cloud serves before it is renewed; default 500. */
	scenariosPerCloud?: number;
	/** Longest a scenario may take before it counts as hung; default 5 minutes. */
	scenarioTimeoutMs?: number;
	/** Every scenario's result, as it ends. */
	onScenario?: (result: ScenarioResult) => void;
	/** Hooks for every scenario (tests break devices with them, to see the checks catch it). */
	hooks?: ScenarioHooks;
}

export type FailureKind = ViolationKind | 'hung' | 'scenario-error';

export interface CampaignFailure {
	scenario: number;
	/** The campaign's seed: scenarioSpec(seed, scenario) rebuilds the scenario. */
	seed: string;
	kind: FailureKind;
	message: string;
	faults: string[];
}

export interface CampaignSummary {
	scenarios: number;
	/** Scenarios that ended as they should: updated, or refused a release corrupt at rest. */
	completed: number;
	/** Scenarios whose device ended unable to boot. */
	bricked: number;
	/** Activations of an image whose bytes were not the release's. */
	badImagesActivated: number;
	/** Image bytes delivered beyond each image's size, summed over the scenarios. */
	wastedBytes: number;
	/** The most bytes sent again after one interruption the device resumed from. */
	maxWastePerCut: number;
	failures: CampaignFailure[];
}

export const DEFAULT_CONCURRENCY = 8;

/**
 * /dev/shm when the system has one, else the temporary folder. Simulated devices flush their
 * store and flash on every chunk; on a disk those flushes block the one process all devices share
 * for long enough that the devices' short timeouts fire when nothing is wrong with the network.
 */
export function defaultCampaignRoot(): string {
	try {
		fs.accessSync('/dev/shm', fs.constants.W_OK);
		if (fs.statSync('/dev/shm').isDirectory()) return '/dev/shm';
	} catch {
		// no tmpfs there: the temporary folder will do
	}
	return os.tmpdir();
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignSummary> {
	const { scenarios, seed } = options;
	if (!Number.isSafeInteger(scenarios) || scenarios < 0) throw new Error(`scenarios must be an integer >= 0, not ${scenarios}`);
	if (typeof seed !== 'string' && !Number.isFinite(seed)) throw new Error(`seed must be a string or a number, not ${String(seed)}`);
	const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
	if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new Error(`concurrency must be an integer from 1 to 256, not ${concurrency}`);
	const perCloud = options.scenariosPerCloud ?? 500;
	if (!Number.isSafeInteger(perCloud) || perCloud < 1) throw new Error(`scenariosPerCloud must be an integer >= 1, not ${perCloud}`);
	const timeout = options.scenarioTimeoutMs ?? 5 * 60_000;
	const log = options.log ?? ((): void => {});

	const summary: CampaignSummary = { scenarios, completed: 0, bricked: 0, badImagesActivated: 0, wastedBytes: 0, maxWastePerCut: 0, failures: [] };
	const root = fs.mkdtempSync(path.join(options.root ?? defaultCampaignRoot(), 'updraft-faults-'));
	let world: FaultWorld | undefined;
	try {
		world = await startFaultWorld({ root });
		const started = Date.now();
		for (let first = 0; first < scenarios; first += perCloud) {
			if (first > 0) await world.renewCloud();
			const last = Math.min(scenarios, first + perCloud);
			let next = first;
			const lane = async (w: FaultWorld) => {
				while (next < last) {
					const index = next++;
					const result = await guarded(w, String(seed), index, timeout, options.hooks);
					tally(summary, String(seed), result);
					if (!('hung' in result)) options.onScenario?.(result);
				}
			};
			await Promise.all(Array.from({ length: Math.min(concurrency, last - first) }, () => lane(world as FaultWorld)));
			log(`${last}/${scenarios} scenarios, ${summary.failures.length} failure(s), ${((Date.now() - started) / 1000).toFixed(1)} s`);
		}
	} finally {
		await world?.close();
		fs.rmSync(root, { recursive: true, force: true });
	}
	return summary;
}

/** Run one scenario; a scenario that throws or hangs becomes a result with that failure. */
async function guarded(world: FaultWorld, seed: string, index: number, timeout: number, hooks?: ScenarioHooks): Promise<ScenarioResult | HungScenario> {
	const spec = scenarioSpec(seed, index);
	let timer: NodeJS.Timeout | undefined;
	const hung = new Promise<HungScenario>((resolve) => {
		timer = setTimeout(() => resolve({ hung: true, index, message: `no verdict within ${timeout} ms`, faults: spec.faults.map(describeFault) }), timeout);
	});
	try {
		return await Promise.race([runScenario({ cloud: world.cloud, proxy: world.proxy, root: world.root }, spec, hooks), hung]);
	} catch (error) {
		return { hung: false, index, message: (error as Error).stack ?? String(error), faults: spec.faults.map(describeFault) };
	} finally {
		clearTimeout(timer);
	}
}

/** A scenario the harness could not finish: it hung, or setting it up failed. */
interface HungScenario {
	hung: boolean;
	index: number;
	message: string;
	faults: string[];
}

function tally(summary: CampaignSummary, seed: string, result: ScenarioResult | HungScenario): void {
	if ('hung' in result) {
		summary.failures.push({ scenario: result.index, seed, kind: result.hung ? 'hung' : 'scenario-error', message: result.message, faults: result.faults });
		return;
	}
	if (result.completed) summary.completed++;
	if (result.outcome === 'bricked') summary.bricked++;
	summary.badImagesActivated += result.violations.filter((v) => v.kind === 'bad-image-activated').length;
	summary.wastedBytes += result.waste.wasted;
	summary.maxWastePerCut = Math.max(summary.maxWastePerCut, result.waste.maxPerInterruption);
	for (const violation of result.violations) {
		summary.failures.push({ scenario: result.index, seed, kind: violation.kind, message: violation.message, faults: result.faults });
	}
}
