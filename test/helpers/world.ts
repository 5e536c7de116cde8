/*
 * A small world for end-to-end tests: a cloud on loopback in a temporary folder, releases of
 * generated images, simulated devices, and the reports the cloud received. Closed on teardown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSON5 from 'json5';
import { startCloud } from '../../simulator/cloud/server';
import { createRelease, updateRelease, type CreateReleaseOptions } from '../../simulator/cloud/admin-client';
import type { ReleaseSettings } from '../../simulator/cloud/release-fields';
import { makeImage, type FirmwareBehaviour } from '../../simulator/image';
import { initDevice, type DeviceKind } from '../../simulator/device/device-folder';
import { devicePaths } from '../../hosts/sim/host';
import { publishSignedRelease, type SignedReleaseOptions } from '../../simulator/signing/publish';
import type { SigningKey } from '../../simulator/signing/release-signing';

export const product = 'e2e-sensor';

/** Merge keys into a device's ioto.json5. */
export function setIoto(dir: string, keys: Record<string, unknown>): void {
	const file = path.join(devicePaths(dir).config, 'ioto.json5');
	const ioto = JSON5.parse(fs.readFileSync(file, 'utf8'));
	for (const [k, v] of Object.entries(keys)) ioto[k] = typeof v === 'object' && v ? { ...ioto[k], ...v } : v;
	fs.writeFileSync(file, JSON5.stringify(ioto, null, 4));
}

export async function world(t: { teardown(fn: () => unknown): void }) {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-e2e-'));
	const cloud = await startCloud({ dataDir: path.join(root, 'cloud'), port: 0 });
	t.teardown(async () => {
		await cloud.close();
		fs.rmSync(root, { recursive: true, force: true });
	});
	let n = 0;
	return {
		cloud,
		root,
		publish: (version: string, size = 200_000) =>
			createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version, image: makeImage({ product, version }, size) }),
		image: (version: string, size = 100_000) => makeImage({ product, version }, size),
		/** The admin API, bound to this cloud and product. */
		admin: {
			createRelease: (options: Omit<CreateReleaseOptions, 'cloud' | 'caPem' | 'token' | 'product'>) =>
				createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, ...options }),
			updateRelease: (options: { id: string; changes: Partial<ReleaseSettings> }) =>
				updateRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, ...options }),
		},
		publishSigned: (version: string, keys: SigningKey[], options: Partial<SignedReleaseOptions> = {}) =>
			publishSignedRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version, image: makeImage({ product, version }, 100_000), keys, ...options }),
		publishImage: (version: string, behaviour: FirmwareBehaviour) =>
			createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version, image: makeImage({ product, version, behaviour }, 100_000) }),
		device(version: string, caPem = cloud.caPem, slotSize?: number, kind?: DeviceKind, trustedKeys?: string[]) {
			const dir = path.join(root, `device-${++n}`);
			initDevice({ dir, id: `dev-${n}`, product, version, cloud: cloud.url, caPem, token: cloud.fleetToken, props: { model: 'e2e' }, slotSize, kind, trustedKeys });
			return dir;
		},
		reports() {
			const file = path.join(root, 'cloud', 'reports.jsonl');
			return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
		},
	};
}

