/*
 * Cloud check-in throughput: the device cloud with 1,000 releases across 100 products, each
 * with a non-trivial distribution policy (semver(), numeric and string comparisons, a regular
 * expression, some with percentage, limit and rate), against a bare node:https JSON server.
 * Both run in a child process of their own, over HTTPS with the same kind of certificate and
 * keep-alive connections, driven by the same load generator (load.ts) from this process.
 *
 * Devices are spread over the products with varied properties and versions, so a check-in walks
 * several releases before one matches, or none does. With the default 2,000 devices each one
 * checks in several times a second, as in a retry storm: the cloud then skips rewriting unchanged
 * device records (device-registry.ts). `devices: 30000` makes most check-ins new writes. A warm-up pass gives every device its
 * grants first; the measured runs are the steady state of a fleet checking in. The two servers
 * are measured in alternating rounds, and each one's best round counts, so that a busy moment of
 * a shared machine does not decide the ratio.
 *
 * Run alone: node --import tsx bench/cloud.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRelease } from '../simulator/cloud/admin-client';
import { runLoad, type LoadResult } from './load';

export interface CloudBenchResult {
	cloud: { rps: number; p99Ms: number };
	bare: { rps: number; p99Ms: number };
	/** cloud rps / bare rps */
	ratio: number;
}

export interface CloudBenchOptions {
	products?: number;
	releasesPerProduct?: number;
	devices?: number;
	connections?: number;
	/** Per measured round; default 2 s. */
	durationMs?: number;
	/** Alternating rounds of each server; default 5. */
	rounds?: number;
}

const TARGET = join(dirname(fileURLToPath(import.meta.url)), 'cloud-target.ts');
const MODELS = ['esp32-s3', 'esp32-c3', 'esp32', 'stm32f4'];
const REGIONS = ['us', 'eu', 'ap'];

interface Target {
	child: ChildProcess;
	info: { port: number; caPem: string; url?: string; fleetToken?: string; adminToken?: string };
}

async function startTarget(kind: 'cloud' | 'bare', dir: string): Promise<Target> {
	const child = spawn(process.execPath, ['--import', 'tsx', TARGET, kind, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
	const lines = createInterface({ input: child.stdout! });
	const info = await new Promise<Target['info']>((resolve, reject) => {
		child.once('exit', (code) => reject(new Error(`the ${kind} server exited with ${code} before listening`)));
		lines.once('line', (line) => resolve(JSON.parse(line) as Target['info']));
	});
	return { child, info };
}

async function stopTarget(target: Target): Promise<void> {
	if (target.child.exitCode !== null) return;
	await new Promise<void>((resolve) => {
		target.child.once('exit', () => resolve());
		target.child.kill('SIGTERM');
	});
}

/** The policy of release k (1-based) of a product: a mix of the language's features. */
function policyFor(k: number): string {
	switch (k % 5) {
		case 0:
			return `semver(version, ">=", "1.${Math.max(0, k - 4)}.0") && memory >= 256 && model ^= "esp32"`;
		case 1:
			return `region != "eu" && (channel == "beta" || major >= 1) && name =~ /^dev-[0-9]+$/ && semver(version, "<", newVersion)`;
		case 2:
			return `try-beta-features == 1 && memory * 2 >= 512 && model $!= "-c3"`;
		case 3:
			return `model >< "esp" && (region == "us" || region == "ap") && minor < ${k} && patch == 0`;
		default:
			return '';
	}
}

function devices(count: number, products: number): string[] {
	return Array.from({ length: count }, (_, i) => JSON.stringify({
		id: `dev-${i}`,
		product: `product-${i % products}`,
		version: `1.${i % 7}.0`,
		iotoVersion: '2.8.0',
		model: MODELS[i % MODELS.length],
		memory: [128, 256, 512][i % 3],
		region: REGIONS[i % REGIONS.length],
		channel: i % 4 === 0 ? 'beta' : 'stable',
		name: `dev-${i}`,
		'try-beta-features': i % 2,
		description: 'bench device',
	}));
}

async function seed(info: Target['info'], products: number, perProduct: number, log: (line: string) => void): Promise<void> {
	const connection = { cloud: info.url!, caPem: info.caPem, token: info.adminToken! };
	const jobs: (() => Promise<unknown>)[] = [];
	for (let p = 0; p < products; p++) {
		for (let k = 1; k <= perProduct; k++) {
			const product = `product-${p}`;
			const version = `1.${k}.0`;
			const extra = k % 4 === 0 ? { percentage: 50 } : k % 4 === 1 ? { limit: 1_000_000 } : k % 4 === 2 ? { rate: 1_000_000, period: 3600 } : {};
			jobs.push(() => createRelease({
				...connection, product, version, policy: policyFor(k), ...extra,
				image: Buffer.from(`${product} ${version} `.repeat(64)),
			}));
		}
	}
	const started = Date.now();
	let next = 0;
	await Promise.all(Array.from({ length: 16 }, async () => {
		while (next < jobs.length) await jobs[next++]!();
	}));
	log(`cloud bench: ${jobs.length} releases published in ${Date.now() - started} ms`);
}

function checkins(bodies: string[], token: string) {
	return (n: number) => ({
		method: 'POST',
		path: '/tok/provision/update',
		headers: { Authorization: `bearer ${token}`, 'Content-Type': 'application/json' },
		body: bodies[n % bodies.length]!,
	});
}

function describe(name: string, result: LoadResult): string {
	return `${name}: ${Math.round(result.rps)} check-ins/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ` +
		`${result.requests} requests, ${result.errors} errors ${JSON.stringify(result.statuses)}`;
}

export async function benchCloud(log: (line: string) => void, options: CloudBenchOptions = {}): Promise<CloudBenchResult> {
	const products = options.products ?? 100;
	const perProduct = options.releasesPerProduct ?? 10;
	const deviceCount = options.devices ?? 2000;
	const connections = options.connections ?? 32;
	const durationMs = options.durationMs ?? 2000;
	const rounds = options.rounds ?? 5;
	const root = mkdtempSync(join(tmpdir(), 'updraft-bench-cloud-'));
	const bodies = devices(deviceCount, products);
	const targets: Target[] = [];
	try {
		const bare = await startTarget('bare', join(root, 'bare'));
		targets.push(bare);
		const cloud = await startTarget('cloud', join(root, 'cloud'));
		targets.push(cloud);
		await seed(cloud.info, products, perProduct, log);
		const load = (target: Target, duration: number, maxRequests?: number) => runLoad({
			host: '127.0.0.1', port: target.info.port, tls: { ca: target.info.caPem }, connections, durationMs: duration, maxRequests,
			request: checkins(bodies, target.info.fleetToken ?? 'bare'),
		});
		// Warm-up: every device checks in once (the cloud writes their grants), both servers get hot.
		const warm = await load(cloud, 60_000, deviceCount * 2);
		log(`cloud bench: warm-up ${warm.requests} check-ins in ${Math.round(warm.durationMs)} ms`);
		await load(bare, 1000);
		// Alternate the two so that a busy moment of the machine does not favour either; keep each one's best round.
		let best: { bare?: LoadResult; cloud?: LoadResult } = {};
		for (let round = 1; round <= rounds; round++) {
			for (const [name, target] of [['bare', bare], ['cloud', cloud]] as const) {
				const result = await load(target, durationMs);
				if (result.errors > 0) throw new Error(`the ${name} server answered errors: ${JSON.stringify(result.statuses)}`);
				log(describe(`round ${round} ${name === 'bare' ? 'bare node:https JSON server' : `device cloud (${products * perProduct} releases, ${products} products, ${deviceCount} devices)`}`, result));
				if (!best[name] || result.rps > best[name]!.rps) best = { ...best, [name]: result };
			}
		}
		const ratio = best.cloud!.rps / best.bare!.rps;
		log(`cloud bench: ratio ${ratio.toFixed(2)} (best of ${rounds} rounds each; both over HTTPS with keep-alive, ${connections} connections)`);
		return {
			cloud: { rps: best.cloud!.rps, p99Ms: best.cloud!.p99Ms },
			bare: { rps: best.bare!.rps, p99Ms: best.bare!.p99Ms },
			ratio,
		};
	} finally {
		for (const target of targets) await stopTarget(target);
		rmSync(root, { recursive: true, force: true });
	}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const result = await benchCloud((line) => process.stderr.write(`${line}\n`));
	process.stdout.write(`${JSON.stringify(result)}\n`);
}
