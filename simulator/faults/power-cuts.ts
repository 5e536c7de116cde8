/*
 * The power-cut proof: cut the power at every flash operation and every store (state journal)
 * write of a full update, one run per cut point, and for every write also with the write torn
 * (half of it landed, or a seeded random prefix). After each cut the device is powered on again
 * without faults and left to work until it runs the new version.
 *
 * A full update here is everything from the first check-in to the confirmed trial boot: the
 * journal and state writes, every sector erase and write of the image, the activation's otadata
 * write, the bootloader's trial mark, the confirmation and the report queue.
 *
 * What must hold after every cut:
 * - nothing bad is activated: if otadata names a freshly activated slot, that slot holds exactly
 *   the release's bytes (read back and hashed, not taken from the agent);
 * - the device boots (never bricked) and what it boots is a published image;
 * - within a few cycles it runs the new version ("finished").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { startCloud } from '../cloud/server';
import { createRelease } from '../cloud/admin-client';
import { makeImage } from '../image';
import { initDevice } from '../device/device-folder';
import { runDeviceOnce } from '../device/run-device';
import type { Engine } from '../device/agent-handle';
import { devicePaths } from '../../hosts/sim/host';
import { CutAtOperation, type FaultInjector, type FaultKind } from '../../hosts/sim/flash/faults';
import { openFlashFolder, bootStateOf } from '../../hosts/sim/flash/flash-folder';
import { checkBoot, type PublishedImage } from './invariants';

export interface PowerCutOptions {
	engine?: Engine;
	/** Size of the release image; its chunks set how many cut points there are. */
	imageSize?: number;
	/** Also tear each cut write (half, random). Default true. */
	tears?: boolean;
	/** Only every n-th cut point (1 = all). */
	stride?: number;
	/** Cycles allowed after a cut to reach the new version. */
	recoveryCycles?: number;
	log?: (line: string) => void;
}

export interface PowerCutFailure {
	cut: number;
	kind: FaultKind;
	tear: string;
	problem: 'bricked' | 'bad-image-activated' | 'unpublished-image' | 'not-finished' | 'hung' | 'threw';
	message: string;
}

export interface PowerCutSummary {
	/** Operations of one full update, each a place to cut. */
	cutPoints: number;
	/** Runs made: every cut point, and every write again torn two ways. */
	runs: number;
	bricked: number;
	badImagesActivated: number;
	/** Runs that ended on the new version. */
	finished: number;
	/** Operations by kind in one full update. */
	kinds: Record<FaultKind, number>;
	failures: PowerCutFailure[];
}

/** Counts the operations of a run and remembers the kind of each. */
class OperationRecorder implements FaultInjector {
	readonly kinds: FaultKind[] = [];
	operation(kind: FaultKind): undefined {
		this.kinds.push(kind);
		return undefined;
	}
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout;
	return Promise.race([
		promise.finally(() => clearTimeout(timer)),
		new Promise<T>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
		}),
	]);
}

export async function runPowerCutCampaign(options: PowerCutOptions = {}): Promise<PowerCutSummary> {
	const engine = options.engine ?? 'node';
	const log = options.log ?? (() => {});
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-power-cuts-'));
	const cloud = await startCloud({ dataDir: path.join(root, 'cloud'), port: 0 });
	try {
		const product = 'power-cut';
		const factory = makeImage({ product, version: '1.0.0' }, 16 * 1024);
		const image = makeImage({ product, version: '1.1.0' }, options.imageSize ?? 24 * 1024);
		const release = await createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version: '1.1.0', image });
		const published: PublishedImage[] = [{ version: '1.0.0', checksum: sha256(factory) }, { version: '1.1.0', checksum: release.checksum }];
		const template = path.join(root, 'template');
		initDevice({ dir: template, id: 'cut', product, version: '1.0.0', cloud: cloud.url, caPem: cloud.caPem, token: cloud.fleetToken, slotSize: 64 * 1024, imageSize: factory.length });

		// One clean update, counting its operations.
		const recorder = new OperationRecorder();
		const probe = path.join(root, 'probe');
		fs.cpSync(template, probe, { recursive: true });
		const clean = await runDeviceOnce(probe, { engine, faults: recorder });
		if (clean.after !== '1.1.0') throw new Error(`the update without power cuts did not finish: ${JSON.stringify(clean)}`);
		const kinds = recorder.kinds;
		const summary: PowerCutSummary = {
			cutPoints: kinds.length, runs: 0, bricked: 0, badImagesActivated: 0, finished: 0,
			kinds: { erase: 0, write: 0, store: 0 }, failures: [],
		};
		for (const k of kinds) summary.kinds[k]++;
		log(`a full update has ${kinds.length} operations (${JSON.stringify(summary.kinds)})`);

		const stride = Math.max(1, options.stride ?? 1);
		for (let n = 1; n <= kinds.length; n += stride) {
			const kind = kinds[n - 1];
			const tears: ('none' | 'half' | 'random')[] = kind === 'write' && options.tears !== false ? ['none', 'half', 'random'] : ['none'];
			for (const tear of tears) {
				summary.runs++;
				const failure = await cutOnce(root, template, published, release, n, kind, tear, engine, options.recoveryCycles ?? 4);
				if (!failure) {
					summary.finished++;
					continue;
				}
				if (failure.problem === 'bricked') summary.bricked++;
				if (failure.problem === 'bad-image-activated') summary.badImagesActivated++;
				summary.failures.push(failure);
				log(`cut ${n} (${kind}, tear ${tear}): ${failure.problem}: ${failure.message}`);
			}
		}
		return summary;
	} finally {
		await cloud.close();
		fs.rmSync(root, { recursive: true, force: true });
	}
}

async function cutOnce(
	root: string, template: string, published: PublishedImage[], release: { checksum: string; size: number },
	n: number, kind: FaultKind, tear: 'none' | 'half' | 'random', engine: Engine, recoveryCycles: number,
): Promise<PowerCutFailure | undefined> {
	const dir = path.join(root, `cut-${n}-${tear}`);
	fs.cpSync(template, dir, { recursive: true });
	const fail = (problem: PowerCutFailure['problem'], message: string): PowerCutFailure => ({ cut: n, kind, tear, problem, message });
	try {
		const cut = new CutAtOperation(n, { tear, seed: n });
		try {
			await withTimeout(runDeviceOnce(dir, { engine, faults: cut }), 60_000, 'the run with a power cut');
		} catch (error) {
			// The power went: whatever the agent was doing stopped there.
			if (!cut.tripped) return fail('threw', `without a power cut: ${(error as Error).message}`);
		}
		const activation = activationViolation(dir, release);
		if (activation) return fail('bad-image-activated', activation);
		// Power on again, without faults, until the device runs the new version.
		for (let cycle = 0; cycle < recoveryCycles; cycle++) {
			let result;
			try {
				result = await withTimeout(runDeviceOnce(dir, { engine }), 60_000, 'a recovery cycle');
			} catch (error) {
				const message = (error as Error).message;
				return fail(/boot/i.test((error as Error).name) || /bootable|boot/.test(message) ? 'bricked' : 'hung', message);
			}
			const booted = checkBoot(dir, published);
			if (booted.violation) return fail(booted.violation.kind === 'bricked' ? 'bricked' : 'unpublished-image', booted.violation.message);
			if (result.after === '1.1.0' && booted.booted?.version === '1.1.0') return undefined;
		}
		return fail('not-finished', `still not on 1.1.0 after ${recoveryCycles} cycles`);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * Right after a cut, before anything boots: when otadata names a freshly activated slot, that
 * slot must hold exactly the release's bytes. Returns what is wrong, or undefined.
 */
export function activationViolation(dir: string, release: { checksum: string; size: number }): string | undefined {
	const regions = openFlashFolder(devicePaths(dir).flash);
	const state = bootStateOf(regions);
	if (!state.trial) return undefined;
	if (sha256(regions.slots[state.nextSlot].read(0, release.size)) === release.checksum) return undefined;
	return `otadata activated slot${state.nextSlot}, which does not hold the release's bytes`;
}
