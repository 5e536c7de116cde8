/* `updraft fleet`: many simulated devices in one process through a staged rollout. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSemver } from '../../modules/semver';
import { startFleetCloud, type FleetCloud } from '../fleet/cloud-process';
import { runFleet, type FleetCloudConnection, type FaultMix } from '../fleet/fleet-run';
import { parseVersionMix } from '../fleet/population';
import { DEFAULT_STAGES, parseStages } from '../fleet/rollout-plan';
import { createProgressDisplay } from '../fleet/progress-display';
import { formatSummary } from '../fleet/summary-table';
import { validateProduct } from '../cloud/release-fields';
import { parse, required, integer, UsageError } from './args';

export const fleetUsage = `updraft fleet --devices N --seed S [--stages 10,50,100] [--limit N] [--rate R --rate-period SECONDS]
              [--policy TEXT] [--faults SHARE] [--fault-odds REFUSE,CUT] [--product P] [--from V[:W],...]
              [--to V] [--image-size BYTES] [--concurrency C] [--shards N] [--json]
              [--cloud URL --ca FILE --token FLEET_TOKEN [--admin-token T]] [--inline-cloud] [--data DIR]
  Runs N in-memory devices (the agent on Node, its real TLS socket adapter, one event loop) with
  varied device.json5 properties (model, memory, region, channel, hw, battery), seeded by S,
  through a staged rollout of release --to (default 2.0.0): published at the first --stages
  percentage, raised to each next one through the admin API after every device checked in
  ("none" for no percentage). --limit, --rate/--rate-period and --policy go on the release.
  --faults: the share (0-1) of devices whose network refuses or cuts connections (per connection
  odds --fault-odds, default 0.1,0.2). --from: starting versions with weights (default
  1.0.0:6,1.1.0:3,1.2.0:1). --concurrency: devices at work at once (default 128). --shards: child
  processes the devices run in (default 2 from 2000 devices on, so that devices and cloud use two
  cores; 1 below, all in this process). Without --cloud a cloud is started in a child process (--inline-cloud:
  in this one) on --data (default a temporary folder, removed at the end). With --cloud the
  admin token comes from --admin-token or UPDRAFT_ADMIN_TOKEN.
  Prints a live progress line on stderr and a summary table (--json: the summary as JSON) on
  stdout. Exit code 1 when any device cycle threw.`;

const MAX_DEVICES = 200_000;

export async function fleetCommand(argv: string[]): Promise<number> {
	const values = parse(argv, {
		devices: { type: 'string' }, seed: { type: 'string' },
		stages: { type: 'string' }, limit: { type: 'string' }, rate: { type: 'string' }, 'rate-period': { type: 'string' },
		policy: { type: 'string' }, faults: { type: 'string' }, 'fault-odds': { type: 'string' },
		product: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
		'image-size': { type: 'string' }, concurrency: { type: 'string' }, shards: { type: 'string' }, json: { type: 'boolean' },
		cloud: { type: 'string' }, ca: { type: 'string' }, token: { type: 'string' }, 'admin-token': { type: 'string' },
		'inline-cloud': { type: 'boolean' }, data: { type: 'string' },
	});
	required(values, 'devices', 'seed');
	const devices = integer(values.devices, 'devices', 1)!;
	if (devices > MAX_DEVICES) throw new UsageError(`--devices must be at most ${MAX_DEVICES}: "${values.devices}"`);
	const product = values.product ?? 'sensor';
	try {
		validateProduct(product, '--product');
	} catch (error) {
		throw new UsageError((error as Error).message);
	}
	const to = values.to ?? '2.0.0';
	if (!parseSemver(to)) throw new UsageError(`--to must be a SemVer version: "${to}"`);
	const usage = <T>(fn: () => T): T => {
		try {
			return fn();
		} catch (error) {
			throw new UsageError((error as Error).message);
		}
	};
	const stages = values.stages === undefined ? DEFAULT_STAGES : usage(() => parseStages(values.stages!));
	const from = usage(() => parseVersionMix(values.from ?? '1.0.0:6,1.1.0:3,1.2.0:1'));
	if (values.rate !== undefined && values['rate-period'] === undefined) throw new UsageError('--rate needs --rate-period (seconds)');
	if (values['rate-period'] !== undefined && values.rate === undefined) throw new UsageError('--rate-period needs --rate');
	const faults = values.faults === undefined ? undefined : faultMix(values.faults, values['fault-odds']);
	if (values.cloud === undefined && (values.ca !== undefined || values.token !== undefined || values['admin-token'] !== undefined)) {
		throw new UsageError('--ca, --token and --admin-token go with --cloud');
	}
	if (values.cloud !== undefined && values['inline-cloud']) throw new UsageError('--inline-cloud starts a cloud; --cloud uses one: give one of them');
	const concurrency = integer(values.concurrency, 'concurrency', 1) ?? 128;
	const imageSize = integer(values['image-size'], 'image-size', 1024) ?? 4096;

	const controller = new AbortController();
	const interrupt = () => controller.abort();
	process.once('SIGINT', interrupt);
	process.once('SIGTERM', interrupt);
	let started: FleetCloud | undefined;
	let dataDir: string | undefined;
	const display = createProgressDisplay(process.stderr);
	try {
		let cloud: FleetCloudConnection;
		if (values.cloud !== undefined) {
			required(values, 'ca', 'token');
			const adminToken = values['admin-token'] ?? process.env.UPDRAFT_ADMIN_TOKEN;
			if (!adminToken) throw new UsageError('--cloud needs --admin-token or UPDRAFT_ADMIN_TOKEN');
			cloud = { url: values.cloud.replace(/\/+$/, ''), caPem: fs.readFileSync(values.ca!, 'utf8'), fleetToken: values.token!, adminToken };
		} else {
			dataDir = values.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-fleet-'));
			started = await startFleetCloud({
				dataDir,
				mode: values['inline-cloud'] ? 'inline' : 'child',
				log: (line) => process.stderr.write(`\ncloud: ${line}\n`),
			});
			cloud = started;
		}
		const summary = await runFleet({
			cloud,
			devices,
			seed: values.seed!,
			product,
			to,
			from,
			imageSize,
			plan: {
				stages,
				limit: integer(values.limit, 'limit', 0) ?? null,
				rate: integer(values.rate, 'rate', 1) ?? null,
				period: integer(values['rate-period'], 'rate-period', 1) ?? null,
				policy: values.policy ?? '',
			},
			faults,
			concurrency,
			shards: integer(values.shards, 'shards', 1) ?? (devices >= 2000 ? 2 : 1),
			checkPeriodMs: 24 * 3_600_000,
			idleScale: 1000,
			onProgress: (p) => display.update(p),
			signal: controller.signal,
		}).catch((error: unknown) => {
			if (error instanceof RangeError) throw new UsageError(error.message);
			throw error;
		});
		display.done();
		const closed = started ? await started.close() : {};
		started = undefined;
		if (values.json) process.stdout.write(`${JSON.stringify({ ...summary, cloudCpuMs: closed.cpuMs ?? null })}\n`);
		else process.stdout.write(formatSummary(summary, { cloudCpuMs: closed.cpuMs }));
		return summary.errors > 0 ? 1 : 0;
	} finally {
		display.done();
		process.off('SIGINT', interrupt);
		process.off('SIGTERM', interrupt);
		await started?.close();
		if (dataDir && values.data === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
	}
}

function faultMix(shareText: string, oddsText: string | undefined): FaultMix {
	const share = Number(shareText);
	if (shareText.trim() === '' || !(share >= 0 && share <= 1)) throw new UsageError(`--faults is the share of devices with a flaky network, 0 to 1: "${shareText}"`);
	const odds = (oddsText ?? '0.1,0.2').split(',').map((part) => Number(part.trim()));
	if (odds.length !== 2 || odds.some((p) => !(p >= 0 && p <= 1)) || odds[0]! + odds[1]! > 1) {
		throw new UsageError(`--fault-odds is REFUSE,CUT: two chances per connection from 0 to 1 that add up to at most 1: "${oddsText}"`);
	}
	return { share, refuse: odds[0]!, cut: odds[1]! };
}
