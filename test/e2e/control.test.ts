/*
 * The application's and the operator's say: veto, defer and apply later, downgrade protection.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDeviceOnce } from '../../simulator/device/run-device';
import { ReleaseGuard } from '../../modules/release-guard';
import { memoryStore } from '../helpers/memory-ports';
import { world } from '../helpers/world';

test.serial('[node] a watcher can veto or defer; a deferred image is applied later without downloading again', async (t) => {
	const w = await world(t);
	const release = await w.publish('1.1.0');
	const vetoed = w.device('1.0.0');
	const veto = await runDeviceOnce(vetoed, { engine: 'node', onAgent: (agent) => agent.watch('device:update', () => ({ action: 'veto', reason: 'battery low' })) });
	t.like(veto, { after: '1.0.0', outcome: 'rejected', reason: 'VETOED' });
	t.like(w.reports().at(-1), { id: veto.id, success: false, reason: 'VETOED' });

	const deferring = w.device('1.0.0');
	const deferred = await runDeviceOnce(deferring, { engine: 'node', onAgent: (agent) => agent.watch('device:update', () => 'defer') });
	t.like(deferred, { after: '1.0.0', outcome: 'deferred', update: release.id });
	let progress = 0;
	const applied = await runDeviceOnce(deferring, { engine: 'node', onAgent: (agent) => agent.watch('update:progress', () => progress++) });
	t.like(applied, { before: '1.0.0', after: '1.1.0', outcome: 'updated' });
	t.is(progress, 0, 'the verified image in the slot was used, not downloaded again');
});

test.serial('[node] a release older than the running firmware is refused unless marked as a downgrade', async (t) => {
	const w = await world(t);
	const dir = w.device('1.2.0');
	const offer = { url: `${w.cloud.publicUrl}/x`, checksum: 'a'.repeat(64), version: '1.1.0', update: 'old' };
	const guard = new ReleaseGuard(memoryStore());
	t.throws(() => guard.check(offer, '1.2.0'), { message: /older than the running/ });
	t.notThrows(() => guard.check({ ...offer, downgrade: true }, '1.2.0'));
	t.truthy(dir);
});

test.serial('[xs] each watcher\'s own verdict reaches the agent inside XS', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	const result = await runDeviceOnce(dir, {
		engine: 'xs',
		onAgent(agent) {
			agent.watch('device:update', () => undefined);
			agent.watch('device:update', async () => ({ action: 'veto', reason: 'maintenance window' }));
		},
	});
	t.like(result, { after: '1.0.0', outcome: 'rejected', reason: 'VETOED', message: 'maintenance window' });
});

for (const engine of ['node', 'xs'] as const) {
	test.serial(`[${engine}] a Unix-like device installs through scripts/update and restarts into the new version`, async (t) => {
		const w = await world(t);
		const release = await w.publish('1.1.0');
		const dir = w.device('1.0.0', undefined, undefined, 'script');
		const result = await runDeviceOnce(dir, { engine });
		t.like(result, { before: '1.0.0', after: '1.1.0', outcome: 'updated', update: release.id });
		t.false(fs.existsSync(path.join(dir, 'state', 'update.bin')), 'the downloaded file is removed after installation');
		t.like(w.reports().at(-1), { success: true, version: '1.1.0' });
	});
}

test.serial('[node] a failing update script changes nothing', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0', undefined, undefined, 'script');
	fs.writeFileSync(path.join(dir, 'scripts', 'update'), '#!/bin/sh\necho "disk full" >&2\nexit 3\n', { mode: 0o755 });
	const result = await runDeviceOnce(dir, { engine: 'node' });
	t.like(result, { before: '1.0.0', after: '1.0.0', outcome: 'failed', reason: 'FLASH_ERROR' });
	t.regex(result.message ?? '', /exit 3.*disk full/);
});
