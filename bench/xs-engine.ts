/*
 * XS engine costs of the agent, measured on the real engine:
 * - computrons per MiB of image for a full agent update, against the minimal XS loop
 *   (xs-loop-worker.ts) moving the same image from socket to slot over the same bridge;
 * - XS heap after the update (after a forced GC) for a 1 MiB image and a 64 MiB image: the
 *   agent's memory must not grow with the image.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloud } from '../simulator/cloud/server';
import { createRelease } from '../simulator/cloud/admin-client';
import { makeImage, validateImage } from '../simulator/image';
import { initDevice } from '../simulator/device/device-folder';
import { bootDevice } from '../simulator/device/boot';
import { startXsAgent } from '../simulator/xs/xs-agent';
import { startXsProgram } from '../simulator/xs/xs-program';
import { createSimHost, devicePaths } from '../hosts/sim/host';
import { readDeviceFiles, agentConfig } from '../hosts/sim/config';
import { parseHttpsUrl } from '../modules/http/url';

const LOOP_WORKER = fileURLToPath(new URL('./xs-loop-worker.ts', import.meta.url));
const MiB = 1024 * 1024;
/** Bytes of one XS slot on a 64-bit build. */
const SLOT_BYTES = 32;

export interface XsEngineResult {
	sizeMiB: number;
	agentComputronsPerMiB: number;
	loopComputronsPerMiB: number;
	ratio: number;
	heapSlotsAfter: number;
	chunkBytesAfter: number;
}

export async function benchXsEngine(sizesMiB: number[] = [1, 64], log: (line: string) => void = () => {}): Promise<{ runs: XsEngineResult[]; heapGrowthBytes: number }> {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-bench-xs-'));
	const cloud = await startCloud({ dataDir: path.join(root, 'cloud'), port: 0 });
	const runs: XsEngineResult[] = [];
	try {
		for (const sizeMiB of sizesMiB) {
			const product = `bench-${sizeMiB}`;
			const size = sizeMiB * MiB;
			await createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version: '2.0.0', image: makeImage({ product, version: '2.0.0' }, size) });
			const device = (name: string) => {
				const dir = path.join(root, `${product}-${name}`);
				initDevice({ dir, id: `${product}-${name}`, product, version: '1.0.0', cloud: cloud.url, caPem: cloud.caPem, token: cloud.fleetToken, slotSize: size + MiB });
				return dir;
			};

			// The agent: one full cycle, then the heap after a GC.
			const agentDir = device('agent');
			const firmware = bootDevice(agentDir);
			const host = createSimHost({ dir: agentDir, version: firmware.version, running: firmware, validate: validateImage });
			const agent = await startXsAgent(host.ports, agentConfig(readDeviceFiles(devicePaths(agentDir).config)), { meteringLimit: 0 });
			let url = '';
			await agent.boot();
			const result = await agent.check();
			if (result.outcome !== 'restarting') throw new Error(`agent update failed: ${JSON.stringify(result)}`);
			await agent.drained();
			const agentStats = agent.stats();
			const heap = await agent.measureHeap();
			await agent.close();
			host.dispose();
			url = await cloud.imageUrl(cloud.store.list(product)[0]!.id, `${product}-loop`);

			// The minimal loop over the same bridge and the same image.
			const loopDir = device('loop');
			const loopHost = createSimHost({ dir: loopDir, version: '1.0.0' });
			const { host: hostname, port, path: urlPath } = parseHttpsUrl(url);
			const loop = await startXsProgram(LOOP_WORKER, loopHost.ports, { host: hostname, port, path: urlPath, size, chunkSize: 4096 }, { meteringLimit: 0, name: 'updraft-loop' });
			await loop.invoke('run');
			await loop.drained();
			const loopStats = loop.stats();
			await loop.close();
			loopHost.dispose();

			const run: XsEngineResult = {
				sizeMiB,
				agentComputronsPerMiB: Math.round(agentStats.compute / sizeMiB),
				loopComputronsPerMiB: Math.round(loopStats.compute / sizeMiB),
				ratio: agentStats.compute / loopStats.compute,
				heapSlotsAfter: heap.heapCount,
				chunkBytesAfter: heap.allocate,
			};
			log(`xs ${sizeMiB} MiB: agent ${run.agentComputronsPerMiB} computrons/MiB, loop ${run.loopComputronsPerMiB}, ratio ${run.ratio.toFixed(2)}, heap ${run.heapSlotsAfter} slots`);
			runs.push(run);
		}
	} finally {
		await cloud.close();
		fs.rmSync(root, { recursive: true, force: true });
	}
	const first = runs[0];
	const last = runs[runs.length - 1];
	return { runs, heapGrowthBytes: (last.heapSlotsAfter - first.heapSlotsAfter) * SLOT_BYTES + (last.chunkBytesAfter - first.chunkBytesAfter) };
}
