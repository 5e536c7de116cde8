/*
 * `npm run bench`: every benchmark side by side in one run, printed as one table of measured
 * values against their goals (`--json` for machines). Speed and memory goals are checked here,
 * never in timed tests.
 *
 *   pipeline  the agent's OTA pipeline (64 MiB over loopback TLS into a file slot, hashed)
 *             against curl | tee >(sha256sum) > file from the same cloud     (pipeline.ts)
 *   cloud     device check-ins per second against a bare node:https server   (cloud.ts)
 *   xs        XS computrons per MiB against a minimal loop, heap flatness   (xs-engine.ts)
 *   fleet     10,000 in-memory devices through a staged rollout             (fleet.ts)
 *
 * Options: --json; --only pipeline,cloud,xs,fleet to run some; --fleet-devices N.
 * The machine's load average is printed with the table: on a shared machine it says how much
 * of the CPU the benchmarks had.
 */
import { cpus, loadavg } from 'node:os';
import { benchXsEngine } from './xs-engine';
import { benchPipeline, type PipelineBenchResult } from './pipeline';
import { benchCloud, type CloudBenchResult } from './cloud';
import { benchFleet, type FleetBenchResult } from './fleet';

interface Row {
	name: string;
	value: string;
	goal: string;
	ok: boolean;
}

const BENCHES = ['pipeline', 'cloud', 'xs', 'fleet'] as const;
type Bench = typeof BENCHES[number];

function option(argv: string[], name: string): string | undefined {
	const at = argv.indexOf(name);
	if (at < 0) return undefined;
	const value = argv[at + 1];
	if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
	return value;
}

function parseOnly(text: string | undefined): Bench[] {
	if (text === undefined) return [...BENCHES];
	const names = text.split(',').map((s) => s.trim()).filter(Boolean);
	for (const name of names) if (!BENCHES.includes(name as Bench)) throw new Error(`--only takes ${BENCHES.join(', ')}: "${name}"`);
	return names as Bench[];
}

async function main(argv: string[]): Promise<number> {
	const known = new Set(['--json', '--only', '--fleet-devices']);
	for (const [i, arg] of argv.entries()) {
		if (arg.startsWith('--') && !known.has(arg)) throw new Error(`unknown option ${arg} (options: --json, --only ${BENCHES.join(',')}, --fleet-devices N)`);
		if (!arg.startsWith('--') && !['--only', '--fleet-devices'].includes(argv[i - 1] ?? '')) throw new Error(`unexpected argument "${arg}"`);
	}
	const json = argv.includes('--json');
	const only = parseOnly(option(argv, '--only'));
	const fleetDevicesText = option(argv, '--fleet-devices');
	const fleetDevices = fleetDevicesText === undefined ? 10_000 : Number(fleetDevicesText);
	if (!Number.isSafeInteger(fleetDevices) || fleetDevices < 1) throw new Error(`--fleet-devices must be a positive integer: "${fleetDevicesText}"`);
	const log = json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
	const loadBefore = loadavg()[0]!;
	const rows: Row[] = [];
	const results: { pipeline?: PipelineBenchResult; cloud?: CloudBenchResult; xs?: Awaited<ReturnType<typeof benchXsEngine>>; fleet?: Omit<FleetBenchResult, 'summary'> & { stages: FleetBenchResult['summary']['stages'] } } = {};

	if (only.includes('pipeline')) {
		const p = await benchPipeline(log);
		results.pipeline = p;
		for (const a of p.agent) {
			rows.push({
				name: `OTA pipeline, ${p.sizeMiB} MiB over loopback TLS, ${a.chunkSize / 1024} KiB reads: agent vs curl | tee >(sha256sum) > file`,
				value: p.curl ? `${a.mibPerSecond.toFixed(1)} vs ${p.curl.mibPerSecond.toFixed(1)} MiB/s = ${a.ratio!.toFixed(2)}x` : `${a.mibPerSecond.toFixed(1)} MiB/s (no curl)`,
				goal: '>= 0.9x',
				ok: a.ratio !== null && a.ratio >= 0.9,
			});
		}
	}
	if (only.includes('cloud')) {
		const c = await benchCloud(log);
		results.cloud = c;
		rows.push({
			name: 'Cloud check-ins/s vs a bare node:https server',
			value: `${Math.round(c.cloud.rps)} vs ${Math.round(c.bare.rps)} = ${c.ratio.toFixed(2)}x (p99 ${c.cloud.p99Ms.toFixed(1)} ms)`,
			goal: '>= 0.5x',
			ok: c.ratio >= 0.5,
		});
	}
	if (only.includes('xs')) {
		const xs = await benchXsEngine([1, 64], log);
		results.xs = xs;
		for (const run of xs.runs) {
			rows.push({
				name: `XS computrons/MiB, agent vs minimal loop (${run.sizeMiB} MiB image)`,
				value: `${run.agentComputronsPerMiB} vs ${run.loopComputronsPerMiB} = ${run.ratio.toFixed(2)}x`,
				goal: '<= 1.5x',
				ok: run.ratio <= 1.5,
			});
		}
		rows.push({
			name: 'XS heap after update, 64 MiB vs 1 MiB image',
			value: `${xs.heapGrowthBytes >= 0 ? '+' : ''}${(xs.heapGrowthBytes / 1024).toFixed(1)} KiB`,
			goal: 'flat (within 8 KiB)',
			ok: Math.abs(xs.heapGrowthBytes) <= 8 * 1024,
		});
	}
	if (only.includes('fleet')) {
		const { summary, ...f } = await benchFleet(log, { devices: fleetDevices });
		results.fleet = { ...f, stages: summary.stages };
		rows.push({
			name: `Fleet of ${f.devices} devices, staged rollout 10/50/100%`,
			value: `${(f.wallMs / 1000).toFixed(1)} s, ${f.updated}/${f.devices} updated, ${f.errors} errors (${Math.round(f.connectionsPerSecond)} TLS connections/s)`,
			goal: '< 60 s, no errors',
			ok: f.wallMs < 60_000 && f.errors === 0 && f.updated === f.devices,
		});
	}
	const machine = { cpus: cpus().length, loadBefore, loadAfter: loadavg()[0]! };
	if (json) {
		process.stdout.write(`${JSON.stringify({ rows, machine, ...results }, null, 2)}\n`);
	} else {
		const width = Math.max(...rows.map((r) => r.name.length));
		const valueWidth = Math.max(...rows.map((r) => r.value.length));
		process.stdout.write(`${'benchmark'.padEnd(width)}  ${'measured'.padEnd(valueWidth)}  goal\n`);
		for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${r.value.padEnd(valueWidth)}  ${r.goal} ${r.ok ? 'ok' : 'MISSED'}\n`);
		process.stdout.write(`(${machine.cpus} CPUs; load average ${machine.loadBefore.toFixed(1)} at the start, ${machine.loadAfter.toFixed(1)} at the end)\n`);
	}
	return 0;
}

try {
	process.exitCode = await main(process.argv.slice(2));
} catch (error) {
	process.stderr.write(`bench: ${(error as Error).message}\n`);
	process.exitCode = 1;
}
