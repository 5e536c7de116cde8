/*
 * The harness cannot pass vacuously: devices broken on purpose (a slot holding bytes nobody
 * published, both slots wiped, a slot altered between verification and activation) are caught,
 * per scenario and in a campaign's summary. And the command prints exactly the summary's fields.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFaultWorld, type FaultWorld } from '../../simulator/faults/world';
import { runScenario, scenarioSpec, type ScenarioHooks } from '../../simulator/faults/scenario';
import { defaultCampaignRoot, runCampaign } from '../../simulator/faults/campaign';
import { faultsCommand } from '../../simulator/cli/faults-command';
import { UsageError } from '../../simulator/cli/args';
import { bootDevice } from '../../simulator/device/boot';
import { devicePaths } from '../../hosts/sim/host';
import { makeImage } from '../../simulator/image';

let world: FaultWorld;
let root: string;

test.before(async () => {
	root = fs.mkdtempSync(path.join(defaultCampaignRoot(), 'updraft-fault-detection-'));
	world = await startFaultWorld({ root });
});

test.after.always(async () => {
	await world?.close();
	fs.rmSync(root, { recursive: true, force: true });
});

const slotFile = (dir: string, slot: number) => path.join(devicePaths(dir).flash, `slot${slot}.bin`);

/** Overwrite the start of a slot's flash file, behind the device's back. */
function overwriteSlot(dir: string, slot: number, bytes: Uint8Array): void {
	const fd = fs.openSync(slotFile(dir, slot), 'r+');
	try {
		fs.writeSync(fd, bytes, 0, bytes.length, 0);
	} finally {
		fs.closeSync(fd);
	}
}

/** Flip one byte of a slot, as a flash fault or a buggy writer would. */
function flipSlotByte(dir: string, slot: number, at: number): void {
	const fd = fs.openSync(slotFile(dir, slot), 'r+');
	try {
		const byte = Buffer.alloc(1);
		fs.readSync(fd, byte, 0, 1, at);
		byte[0] ^= 0xff;
		fs.writeSync(fd, byte, 0, 1, at);
	} finally {
		fs.closeSync(fd);
	}
}

/** Alters the verified image in its slot after device:update, just before the switch. */
const alterBeforeActivation: ScenarioHooks = {
	onAgent(agent, _cycle, dir) {
		agent.watch('device:update', (update: { slot: string }) => flipSlotByte(dir, Number(update.slot.replace('slot', '')), 1000));
	},
};

// [what is broken after the first cycle, how, the violation the checks must report]
const BROKEN: [string, ScenarioHooks, string, RegExp][] = [
	['the running slot holds an image nobody published', {
		afterCycle(dir) {
			const { slot, product } = bootDevice(dir);
			overwriteSlot(dir, slot, makeImage({ product, version: '6.6.6' }, 50_000));
		},
	}, 'unpublished-image', /matches no published image/],
	['both slots are wiped', {
		afterCycle(dir) {
			overwriteSlot(dir, 0, new Uint8Array(64));
			overwriteSlot(dir, 1, new Uint8Array(64));
		},
	}, 'bricked', /does not boot/],
	['the slot is altered between verification and activation', alterBeforeActivation, 'bad-image-activated', /was activated for 1\.1\.0 holding SHA-256/],
];

for (const [what, hooks, kind, message] of BROKEN) {
	test(`a scenario reports it when ${what}`, async (t) => {
		const spec = { ...scenarioSpec('detection', BROKEN.findIndex(([w]) => w === what)), faults: [], corruptAtRest: undefined, maxCycles: 2 };
		const result = await runScenario({ cloud: world.cloud, proxy: world.proxy, root }, spec, hooks);
		const violation = result.violations.find((v) => v.kind === kind);
		t.truthy(violation, JSON.stringify(result.violations));
		t.regex(violation?.message ?? '', message);
		t.false(result.completed);
	});
}

test('a campaign counts broken invariants and lists them as failures', async (t) => {
	t.timeout(120_000);
	const summary = await runCampaign({ scenarios: 6, seed: 'detect-campaign', concurrency: 3, hooks: alterBeforeActivation });
	t.true(summary.badImagesActivated > 0);
	t.true(summary.failures.length >= summary.badImagesActivated);
	t.true(summary.completed < summary.scenarios);
	for (const failure of summary.failures) {
		t.like(failure, { seed: 'detect-campaign', kind: 'bad-image-activated' });
		t.true(Number.isInteger(failure.scenario));
	}
});

test('updraft faults --json prints exactly the summary fields and exits 0 when all held', async (t) => {
	t.timeout(120_000);
	const written: string[] = [];
	const write = process.stdout.write;
	process.stdout.write = ((chunk: string) => {
		written.push(String(chunk));
		return true;
	}) as typeof process.stdout.write;
	let code: number;
	try {
		code = await faultsCommand(['--scenarios', '4', '--seed', 'cli', '--json', '--concurrency', '2']);
	} finally {
		process.stdout.write = write;
	}
	t.is(code, 0);
	const summary = JSON.parse(written.join(''));
	t.deepEqual(Object.keys(summary), ['scenarios', 'completed', 'bricked', 'badImagesActivated', 'wastedBytes', 'maxWastePerCut', 'failures']);
	t.like(summary, { scenarios: 4, bricked: 0, badImagesActivated: 0, failures: [] });
});

// [arguments, what the usage error must say]
const BAD_ARGUMENTS: [string[], RegExp][] = [
	[['--seed', 's'], /missing --scenarios/],
	[['--scenarios', '3'], /missing --seed/],
	[['--scenarios', 'ten', '--seed', 's'], /--scenarios must be an integer >= 1/],
	[['--scenarios', '3', '--seed', 's', '--concurrency', '0'], /--concurrency must be an integer >= 1/],
	[['--scenarios', '3', '--seed', 's', '--fast'], /Unknown option/],
];

for (const [argv, message] of BAD_ARGUMENTS) {
	test(`updraft faults ${argv.join(' ')} is a usage error`, async (t) => {
		await t.throwsAsync(() => faultsCommand(argv), { instanceOf: UsageError, message });
	});
}
