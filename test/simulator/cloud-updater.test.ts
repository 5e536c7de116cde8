/*
 * Compatibility: an updater written only from Ioto's protocol facts (test/fixtures/cloud-updater.ts)
 * completes updates against the cloud, and its failures reach the release's counters.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRelease, getRelease } from '../../simulator/cloud/admin-client';
import { runUpdater, type UpdaterOptions } from '../fixtures/cloud-updater';
import { startTestCloud, temporaryDir, type TestCloud } from '../helpers/cloud';

function updater(cloud: TestCloud, dir: string, version: string, apply: UpdaterOptions['apply'] = () => {}): UpdaterOptions {
	return {
		api: cloud.url,
		token: cloud.fleetToken,
		ca: cloud.caPem,
		device: { id: 'gateway-7', product: 'gateway', version, model: 'linux-arm64', memory: 1024 },
		dir,
		apply,
	};
}

test('an updater built from the protocol facts updates, then finds nothing more', async (t) => {
	const cloud = await startTestCloud(t);
	const admin = { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
	const image = Buffer.from('gateway firmware 2.1.0 '.repeat(500));
	const release = await createRelease({ ...admin, product: 'gateway', version: '2.1.0', image, policy: 'memory >= 512 && model ^= "linux"' });
	const dir = temporaryDir(t);
	let installed: Buffer | undefined;
	const result = await runUpdater(updater(cloud, dir, '2.0.0', (path) => {
		installed = readFileSync(path);
	}));
	t.deepEqual(result, { outcome: 'updated', version: '2.1.0', update: release.id });
	t.deepEqual(installed, image);
	t.like(await getRelease({ ...admin, id: release.id }), { counters: { offered: 1, devices: 1, started: 1, success: 1, failure: 0 } });
	const [report] = await cloud.reports.list({ release: release.id });
	t.like(report, { id: 'gateway-7', update: release.id, success: true });
	t.deepEqual(await runUpdater(updater(cloud, dir, '2.1.0')), { outcome: 'none' });
});

test('a failed apply or a damaged image is reported as a failure', async (t) => {
	const cloud = await startTestCloud(t);
	const admin = { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
	const release = await createRelease({ ...admin, product: 'gateway', version: '3.0.0', image: Buffer.from('three') });
	const failed = await runUpdater(updater(cloud, temporaryDir(t), '2.0.0', () => {
		throw new Error('install script exited with 1');
	}));
	t.deepEqual(failed, { outcome: 'failed', error: 'install script exited with 1', update: release.id });
	writeFileSync(cloud.store.imagePath(release), 'thre3');
	const damaged = await runUpdater(updater(cloud, temporaryDir(t), '2.0.0'));
	t.like(damaged, { outcome: 'failed', error: 'checksum mismatch' });
	t.like(await getRelease({ ...admin, id: release.id }), { counters: { failure: 2, success: 0 } });
	const reports = await cloud.reports.list({ release: release.id });
	t.deepEqual(reports.map((r) => [r.success, r.reason]), [[false, undefined], [false, undefined]], 'the updater sends no reason');
});
