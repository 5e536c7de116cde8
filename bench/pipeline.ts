/*
 * OTA pipeline throughput: the agent (Node engine) downloading a 64 MiB image from the cloud
 * through its real TLS socket adapter (hosts/sim/tls-network.ts), streaming it into a
 * file-backed slot (file-slot.ts) while hashing it and journalling every chunk (at the device's
 * default of 4 KiB per read, and at 16 KiB, a TLS record), against
 *
 *   curl -s --cacert CA URL | tee >(sha256sum >/dev/null) > file
 *
 * from the same cloud, which runs in a child process of its own. The agent's time runs from the
 * moment it starts downloading to the moment the image is verified; curl's from the start of the
 * shell to the end of the hash. Rounds alternate between the two and each one's best counts, so
 * a busy moment of a shared machine does not decide the ratio.
 *
 * Run alone: node --import tsx bench/pipeline.ts [SIZE_MIB]
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UpdraftAgent } from '../modules/agent';
import { createTlsNetwork } from '../hosts/sim/tls-network';
import { nodeDigest } from '../hosts/sim/node-digest';
import { createNodeClock } from '../hosts/sim/node-clock';
import { createRelease } from '../simulator/cloud/admin-client';
import { makeImage } from '../simulator/image';
import { startFleetCloud, type FleetCloud } from '../simulator/fleet/cloud-process';
import { createMemoryStore } from '../simulator/fleet/memory-store';
import { fileSlotFlash } from './file-slot';

export interface PipelineBenchResult {
	sizeMiB: number;
	/** The agent at each chunk size (update.chunkSize: bytes per read, its one image buffer). */
	agent: { chunkSize: number; mibPerSecond: number; seconds: number; ratio: number | null }[];
	/** null when curl is not installed. */
	curl: { mibPerSecond: number; seconds: number } | null;
}

export interface PipelineBenchOptions {
	sizeMiB?: number;
	/** Rounds of each contender; default 5 (the first ones warm the JIT and the page cache). */
	rounds?: number;
	/** Chunk sizes to measure the agent at; default 4096 (the device default) and 16384 (a TLS record). */
	chunkSizes?: number[];
}

const MiB = 1024 * 1024;
const PRODUCT = 'bench-pipeline';

export function curlAvailable(): boolean {
	return spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function benchPipeline(log: (line: string) => void = () => {}, options: PipelineBenchOptions = {}): Promise<PipelineBenchResult> {
	const sizeMiB = options.sizeMiB ?? 64;
	const rounds = options.rounds ?? 5;
	const chunkSizes = options.chunkSizes ?? [4096, 16384];
	for (const chunkSize of chunkSizes) {
		if (!Number.isInteger(chunkSize) || chunkSize < 256 || chunkSize > 65536) throw new RangeError(`chunk sizes are 256 to 65536 bytes, not ${chunkSize}`);
	}
	const size = sizeMiB * MiB;
	// Both pipelines write to the same file system; memory when there is one, so the disk does not decide.
	const root = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'updraft-bench-pipeline-'));
	let cloud: FleetCloud | undefined;
	try {
		cloud = await startFleetCloud({ dataDir: join(root, 'cloud'), mode: 'child' });
		const image = makeImage({ product: PRODUCT, version: '2.0.0' }, size);
		const checksum = createHash('sha256').update(image).digest('hex');
		await createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product: PRODUCT, version: '2.0.0', image });
		const caPath = join(root, 'ca.pem');
		writeFileSync(caPath, cloud.caPem);
		const withCurl = curlAvailable();
		if (!withCurl) log('pipeline: curl is not installed (Debian package curl); measuring the agent alone');
		const agentBest = new Map(chunkSizes.map((size) => [size, Infinity]));
		let curlBest = Infinity;
		// The agent's slot is one partition file, erased once, as a device's flash is there before
		// any update; curl writes a new file each time, as `> file` does.
		const slot = join(root, 'slot.bin');
		const runs: { name: string; run(round: number): Promise<void> }[] = chunkSizes.map((chunkSize) => ({
			name: `agent (${chunkSize}-byte chunks)`,
			async run(round: number) {
				const seconds = await agentRun(cloud!, slot, size, chunkSize, `bench-agent-${round}-${chunkSize}`);
				agentBest.set(chunkSize, Math.min(agentBest.get(chunkSize)!, seconds));
				log(`pipeline round ${round}: agent (${chunkSize}-byte chunks) ${(sizeMiB / seconds).toFixed(1)} MiB/s`);
			},
		}));
		if (withCurl) {
			runs.push({
				name: 'curl',
				async run(round: number) {
					const out = join(root, `curl-${round}.bin`);
					const curlSeconds = await curlRun(cloud!, caPath, out, `bench-curl-${round}`);
					if (statSync(out).size !== size || await fileSha256(out) !== checksum) throw new Error('curl did not download the whole image');
					rmSync(out, { force: true });
					curlBest = Math.min(curlBest, curlSeconds);
					log(`pipeline round ${round}: curl ${(sizeMiB / curlSeconds).toFixed(1)} MiB/s`);
				},
			});
		}
		for (let round = 1; round <= rounds; round++) {
			// Each round starts with the next contender, so none always runs right after the others.
			// A pause before each run lets the previous one's leftovers (exiting processes, freed
			// files, garbage) clear, so no contender pays for another's.
			for (let i = 0; i < runs.length; i++) {
				await new Promise((resolve) => setTimeout(resolve, 300));
				await runs[(round - 1 + i) % runs.length].run(round);
			}
		}
		const curl = withCurl ? { mibPerSecond: sizeMiB / curlBest, seconds: curlBest } : null;
		const agent = chunkSizes.map((chunkSize) => {
			const seconds = agentBest.get(chunkSize)!;
			const mibPerSecond = sizeMiB / seconds;
			return { chunkSize, mibPerSecond, seconds, ratio: curl ? mibPerSecond / curl.mibPerSecond : null };
		});
		return { sizeMiB, agent, curl };
	} finally {
		await cloud?.close();
		rmSync(root, { recursive: true, force: true });
	}
}

/** One agent cycle; the seconds from entering 'downloading' to the verified image. */
async function agentRun(cloud: FleetCloud, slotPath: string, size: number, chunkSize: number, id: string): Promise<number> {
	const clock = createNodeClock();
	const network = createTlsNetwork({ ca: cloud.caPem });
	const flash = fileSlotFlash(slotPath, size);
	const agent = new UpdraftAgent({
		network, flash, digest: nodeDigest, store: createMemoryStore(), clock,
		system: { version: () => '1.0.0', restart: () => {} },
	}, {
		provision: { api: cloud.url, token: cloud.fleetToken },
		device: { id, product: PRODUCT },
		update: { signatures: 'optional', chunkSize },
	});
	let began = 0;
	let verified = 0;
	agent.watch('update:state', (s: { state: string }) => {
		if (s.state === 'downloading') began = performance.now();
		if (s.state === 'ready') verified = performance.now();
	});
	try {
		const result = await agent.check();
		if (result.outcome !== 'restarting' || !flash.activated) throw new Error(`the agent did not finish the update: ${JSON.stringify(result)}`);
	} finally {
		clock.dispose();
		network.closeAll();
	}
	return (verified - began) / 1000;
}

/** SHA-256 of a file, streamed (the image is too big to hold twice for nothing). */
async function fileSha256(path: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
	return hash.digest('hex');
}

/** The image URL a check-in hands to device `id`. */
function imageUrlFor(cloud: FleetCloud, id: string): Promise<string> {
	const body = JSON.stringify({ id, product: PRODUCT, version: '1.0.0' });
	return new Promise((resolve, reject) => {
		const req = request(`${cloud.url}/tok/provision/update`, {
			method: 'POST', ca: cloud.caPem,
			headers: { Authorization: `Bearer ${cloud.fleetToken}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
		}, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { url?: string };
				if (typeof answer.url === 'string') resolve(answer.url);
				else reject(new Error(`the check-in offered no image: ${JSON.stringify(answer)}`));
			});
		});
		req.on('error', reject);
		req.end(body);
	});
}

/** curl | tee >(sha256sum) > file, waiting for the hash too; the seconds it took. */
async function curlRun(cloud: FleetCloud, caPath: string, out: string, id: string): Promise<number> {
	const url = await imageUrlFor(cloud, id);
	const { port } = new URL(url);
	const script = 'curl -s --fail --resolve "localhost:$4:127.0.0.1" --cacert "$2" "$1" | tee >(sha256sum >/dev/null) > "$3"; s=("${PIPESTATUS[@]}"); wait $!; [ "${s[0]}" = 0 ] && [ "${s[1]}" = 0 ]';
	const began = performance.now();
	await new Promise<void>((resolve, reject) => {
		const child = spawn('bash', ['-c', script, 'bench', url, caPath, out, port], { stdio: ['ignore', 'ignore', 'inherit'] });
		child.on('error', reject);
		child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`curl | tee | sha256sum exited with ${code}`))));
	});
	return (performance.now() - began) / 1000;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const sizeMiB = process.argv[2] ? Number(process.argv[2]) : 64;
	const result = await benchPipeline((line) => process.stderr.write(`${line}\n`), { sizeMiB });
	process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
