/*
 * `updraft demo`: the whole update in one command. A cloud starts in a temporary folder, a 1.1.0
 * release of a generated image is published, a device at 1.0.0 checks in, downloads, verifies,
 * announces device:update, switches slots and reboots into 1.1.0. Everything is removed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCloud } from '../cloud/server';
import { publishSignedRelease } from '../signing/publish';
import { createSigningKey, loadSigningKey } from '../signing/release-signing';
import { makeImage } from '../image';
import { initDevice } from '../device/device-folder';
import { runDeviceOnce } from '../device/run-device';
import { createProgressBar, formatBytes } from './progress-bar';
import { parse, integer } from './args';

export const demoUsage = `updraft demo [--size BYTES]
  Cloud, release 1.1.0, one device at 1.0.0, a full update; prints "1.0.0 -> 1.1.0".`;

export async function demoCommand(argv: string[]): Promise<number> {
	const values = parse(argv, { size: { type: 'string' } });
	const size = integer(values.size, 'size', 1024) ?? 1024 * 1024;
	const out = process.stdout;
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-demo-'));
	const cloud = await startCloud({ dataDir: path.join(root, 'cloud'), port: 0 });
	try {
		const product = 'demo-sensor';
		out.write(`cloud       ${cloud.url}\n`);
		const image = makeImage({ product, version: '1.1.0' }, size);
		// The publisher's signing key stays here; the cloud only carries the signed manifest.
		const key = loadSigningKey(createSigningKey(path.join(root, 'publisher')).privatePath);
		const release = await publishSignedRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version: '1.1.0', description: 'demo release', image, keys: [key] });
		out.write(`release     ${product} ${release.version}  ${formatBytes(release.size)}  sha256 ${release.checksum.slice(0, 16)}…  signed by ${key.keyid}\n`);
		const dir = path.join(root, 'device');
		initDevice({ dir, id: 'demo-0001', product, version: '1.0.0', cloud: cloud.url, caPem: cloud.caPem, token: cloud.fleetToken, props: { model: 'sim-esp32' }, trustedKeys: [key.publicKey] });
		out.write('device      demo-0001 running 1.0.0 on the XS engine, checking in\n');
		const bar = createProgressBar(out, 'download   ');
		const result = await runDeviceOnce(dir, {
			onAgent(agent) {
				agent.watch('update:progress', (p: { received: number; total: number }) => bar.update(p.received, p.total));
				agent.watch('update:state', (s: { state: string }) => {
					if (s.state === 'downloading') out.write('signature   release manifest verified with the trusted key\n');
					if (s.state === 'verifying') {
						bar.done();
						out.write('verify      sha256 and size match the signed manifest\n');
					}
					if (s.state === 'activating') out.write('switch      boot slot switched, restarting\n');
				});
				agent.watch('device:update', (u: { version: string; slot: string; size: number }) => {
					out.write(`device:update  ${u.version} (${formatBytes(u.size)}) ready in ${u.slot}\n`);
				});
				agent.watch('update:outcome', (r: { outcome: string }) => {
					if (r.outcome === 'updated') out.write('trial boot  self-test passed, new firmware confirmed\n');
				});
			},
		});
		bar.done();
		out.write(`${result.before} -> ${result.after}\n`);
		if (result.outcome !== 'updated') {
			process.stderr.write(`demo failed: ${result.outcome} ${result.reason ?? ''} ${result.message ?? ''}\n`);
			return 1;
		}
		return 0;
	} finally {
		await cloud.close();
		fs.rmSync(root, { recursive: true, force: true });
	}
}
