/*
 * Fleet wall time: `updraft fleet` as the benchmark runs it. N in-memory devices (default
 * 10,000) in this process, the cloud in a child process, a staged rollout of 10, 50 and 100
 * percent; the goal is every device on the new version, no errors, in under a minute.
 *
 * The devices run in two child processes (shards) by default and the cloud in a third, so that a
 * 2-core machine is used whole.
 *
 * Run alone: node --import tsx bench/fleet.ts [DEVICES] [SHARDS]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFleetCloud, type FleetCloud } from '../simulator/fleet/cloud-process';
import { runFleet, type FleetSummary } from '../simulator/fleet/fleet-run';
import { progressLine } from '../simulator/fleet/progress-display';

export interface FleetBenchResult {
	devices: number;
	wallMs: number;
	updated: number;
	errors: number;
	/** Device cycles (each starts with a check-in) per second of wall time. */
	cyclesPerSecond: number;
	/** TLS connections the devices opened per second. */
	connectionsPerSecond: number;
	fleetCpuMs: number;
	cloudCpuMs: number | null;
	summary: FleetSummary;
}

export interface FleetBenchOptions {
	devices?: number;
	seed?: string;
	concurrency?: number;
	/** Processes the devices run in; default 2, so that devices and cloud use both cores of a 2-core machine. */
	shards?: number;
}

export async function benchFleet(log: (line: string) => void = () => {}, options: FleetBenchOptions = {}): Promise<FleetBenchResult> {
	const devices = options.devices ?? 10_000;
	const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'updraft-bench-fleet-'));
	let cloud: FleetCloud | undefined;
	try {
		cloud = await startFleetCloud({ dataDir: join(root, 'cloud'), mode: 'child', log: (line) => log(`cloud: ${line}`) });
		let lastLog = 0;
		const summary = await runFleet({
			cloud,
			devices,
			seed: options.seed ?? 'bench',
			product: 'sensor',
			to: '2.0.0',
			from: [{ version: '1.0.0', weight: 6 }, { version: '1.1.0', weight: 3 }, { version: '1.2.0', weight: 1 }],
			imageSize: 4096,
			plan: { stages: [10, 50, 100], limit: null, rate: null, period: null, policy: '' },
			concurrency: options.concurrency ?? 128,
			shards: options.shards ?? 2,
			checkPeriodMs: 24 * 3_600_000,
			idleScale: 1000,
			onProgress: (p) => {
				const now = Date.now();
				if (now - lastLog < 5000 && p.phase !== 'done') return;
				lastLog = now;
				log(`fleet: ${progressLine(p)}`);
			},
		});
		const closed = await cloud.close();
		cloud = undefined;
		const cycles = Object.values(summary.outcomes).reduce((sum, n) => sum + n, 0);
		return {
			devices,
			wallMs: summary.wallMs,
			updated: summary.versionsAfter['2.0.0'] ?? 0,
			errors: summary.errors,
			cyclesPerSecond: cycles / (summary.wallMs / 1000),
			connectionsPerSecond: (summary.tls.full + summary.tls.resumed) / (summary.wallMs / 1000),
			fleetCpuMs: summary.fleetCpuMs,
			cloudCpuMs: closed.cpuMs ?? null,
			summary,
		};
	} finally {
		await cloud?.close();
		rmSync(root, { recursive: true, force: true });
	}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const devices = process.argv[2] ? Number(process.argv[2]) : 10_000;
	const shards = process.argv[3] ? Number(process.argv[3]) : undefined;
	const result = await benchFleet((line) => process.stderr.write(`${line}\n`), { devices, shards });
	const { summary, ...rest } = result;
	process.stdout.write(`${JSON.stringify({ ...rest, shards: summary.shards, stages: summary.stages, tls: summary.tls, outcomes: summary.outcomes }, null, 2)}\n`);
}
