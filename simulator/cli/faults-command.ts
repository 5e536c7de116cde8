/* `updraft faults`: a seeded campaign of network and cloud faults against simulated devices. */
import { runCampaign, type CampaignSummary } from '../faults/campaign';
import type { ScenarioOutcome, ScenarioResult } from '../faults/scenario';
import { parse, required, integer, UsageError } from './args';
import { runPowerCutCampaign } from '../faults/power-cuts';

export const faultsUsage = `updraft faults --power-cuts [--json] [--engine node|xs] [--stride N]
  Cuts the power at every flash operation and every state-journal write of a full update (and
  tears every write two ways), powers the device on again each time and lets it finish. Prints
  {cutPoints, runs, bricked, badImagesActivated, finished, failures}; exit code 1 unless every
  run ends on the new version with nothing bricked or badly activated.
updraft faults --scenarios N --seed S [--json] [--concurrency C] [--dir DIR]
  Runs N seeded scenarios: a fresh device, a newer release, and faults between them (cuts,
  stalls, corrupt or short bodies, wrong lengths, 200 instead of 206, changed ETags, 5xx bursts,
  slow trickles). After every cycle each device must boot, run a published image, and never have
  activated a corrupt one. Prints {scenarios, completed, bricked, badImagesActivated, wastedBytes,
  maxWastePerCut, failures} with --json, a summary without. Exit code 1 when any check failed.
  --concurrency: scenarios at once (default 8). --dir: where devices and the cloud live while
  it runs (default /dev/shm when there is one, else the temporary folder).`;

/** The options of the command; new modes add theirs here. */
export const FAULTS_OPTIONS = {
	scenarios: { type: 'string' },
	seed: { type: 'string' },
	json: { type: 'boolean' },
	concurrency: { type: 'string' },
	dir: { type: 'string' },
	'power-cuts': { type: 'boolean' },
	engine: { type: 'string' },
	stride: { type: 'string' },
} as const;

export async function faultsCommand(argv: string[]): Promise<number> {
	const values = parse(argv, FAULTS_OPTIONS);
	if (values['power-cuts']) return powerCutsCommand(values);
	required(values, 'scenarios', 'seed');
	const scenarios = integer(values.scenarios, 'scenarios', 1) as number;
	const concurrency = integer(values.concurrency, 'concurrency', 1);
	if (concurrency !== undefined && concurrency > 256) throw new UsageError(`--concurrency must be at most 256: "${values.concurrency}"`);
	const seed = values.seed as string;
	const outcomes = new Map<ScenarioOutcome, number>();
	let restartBytes = 0;
	const started = Date.now();
	const summary = await runCampaign({
		scenarios,
		seed,
		concurrency,
		root: values.dir,
		log: values.json ? undefined : (line) => process.stderr.write(`${line}\n`),
		onScenario(result: ScenarioResult) {
			outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
			restartBytes += result.waste.restartBytes;
		},
	});
	if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
	else process.stdout.write(humanSummary(summary, { seed, seconds: (Date.now() - started) / 1000, outcomes, restartBytes }));
	return summary.failures.length > 0 ? 1 : 0;
}

async function powerCutsCommand(values: { json?: boolean; engine?: string; stride?: string }): Promise<number> {
	const engine = values.engine ?? 'node';
	if (engine !== 'node' && engine !== 'xs') throw new UsageError(`--engine must be node or xs: "${engine}"`);
	const started = Date.now();
	const summary = await runPowerCutCampaign({
		engine, stride: integer(values.stride, 'stride', 1),
		log: values.json ? undefined : (line) => process.stderr.write(`${line}\n`),
	});
	if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
	else {
		process.stdout.write([
			`${summary.runs} power cuts over ${summary.cutPoints} operations of a full update (${JSON.stringify(summary.kinds)}), ${((Date.now() - started) / 1000).toFixed(1)} s`,
			`  finished on the new version ${summary.finished}, bricked ${summary.bricked}, bad images activated ${summary.badImagesActivated}`,
			...summary.failures.slice(0, 20).map((f) => `  cut ${f.cut} (${f.kind}, tear ${f.tear}): ${f.problem}: ${f.message}`),
		].join('\n') + '\n');
	}
	return summary.failures.length === 0 && summary.finished === summary.runs ? 0 : 1;
}

function humanSummary(s: CampaignSummary, extra: { seed: string; seconds: number; outcomes: Map<ScenarioOutcome, number>; restartBytes: number }): string {
	const n = (outcome: ScenarioOutcome) => extra.outcomes.get(outcome) ?? 0;
	const lines = [
		`${s.scenarios} fault scenarios, seed ${JSON.stringify(extra.seed)}, ${extra.seconds.toFixed(1)} s`,
		`  completed ${s.completed}: updated ${n('updated')}, refused a release corrupt at rest ${n('refused')}`,
		`  not completed: rolled back after a failed trial ${n('rolled-back')}, still trying ${n('unfinished')}`,
		`  bricked ${s.bricked}, corrupt images activated ${s.badImagesActivated}`,
		`  wasted ${s.wastedBytes} bytes beyond the image sizes; most sent again after one interruption: ${s.maxWastePerCut} bytes`,
		`  dropped by designed restarts (200 for a range, changed ETag, rejected image): ${extra.restartBytes} bytes`,
	];
	if (s.failures.length === 0) lines.push('  no failures');
	else {
		lines.push(`  ${s.failures.length} FAILURE(S):`);
		for (const f of s.failures.slice(0, 20)) lines.push(`    scenario ${f.scenario} ${f.kind}: ${f.message.split('\n')[0]} [${f.faults.join(' ')}]`);
		if (s.failures.length > 20) lines.push(`    ... and ${s.failures.length - 20} more (--json lists all)`);
	}
	return `${lines.join('\n')}\n`;
}
