/*
 * End to end through real TLS on loopback: a cloud, a release, a simulated device, one cycle.
 * Every test runs once per engine: the agent on the real XS engine, and in Node.
 */
import test from 'ava';
import { createCa } from '../../simulator/tls/certificates';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDeviceOnce } from '../../simulator/device/run-device';
import { bootDevice } from '../../simulator/device/boot';
import { readBootState } from '../../hosts/sim/flash/flash-folder';
import { devicePaths } from '../../hosts/sim/host';
import { ENGINES } from '../../simulator/device/agent-handle';
import type { XsAgent } from '../../simulator/xs/xs-agent';
import { world } from '../helpers/world';

for (const engine of ENGINES) {
	test.serial(`[${engine}] a device at 1.0.0 updates to the newest release and reports success`, async (t) => {
		const w = await world(t);
		await w.publish('1.0.1');
		const release = await w.publish('1.1.0');
		const dir = w.device('1.0.0');
		const events: string[] = [];
		let announced: Record<string, unknown> | undefined;
		const result = await runDeviceOnce(dir, {
			engine,
			onAgent(agent) {
				agent.watch('update:state', (s: { state: string }) => events.push(s.state));
				agent.watch('device:update', (u: Record<string, unknown>) => {
					announced = u;
					// Watchers run before the switch: the boot record still names the old slot.
					t.is(readBootState(devicePaths(dir).flash).nextSlot, 0);
				});
			},
		});
		t.like(result, { id: 'dev-1', before: '1.0.0', after: '1.1.0', update: release.id, outcome: 'updated', reason: null });
		t.deepEqual(events, ['checking', 'downloading', 'verifying', 'ready', 'activating', 'confirming', 'idle']);
		t.like(announced, { version: '1.1.0', update: release.id, size: release.size, checksum: release.checksum, slot: 'slot1' });
		t.is(bootDevice(dir).version, '1.1.0');
		t.is(readBootState(devicePaths(dir).flash).nextSlot, 1);
		t.like(w.reports().at(-1), { id: 'dev-1', update: release.id, success: true, version: '1.1.0' });
	});

	test.serial(`[${engine}] an image whose bytes do not match the checksum is rejected and never activated`, async (t) => {
		const w = await world(t);
		const release = await w.publish('1.1.0');
		const stored = w.cloud.store.imagePath(w.cloud.store.get(release.id)!);
		const bytes = fs.readFileSync(stored);
		bytes[bytes.length - 10] ^= 0x01;
		fs.writeFileSync(stored, bytes);
		const dir = w.device('1.0.0');
		let announced = false;
		const result = await runDeviceOnce(dir, { engine, onAgent: (agent) => agent.watch('device:update', () => (announced = true)) });
		t.like(result, { before: '1.0.0', after: '1.0.0', outcome: 'rejected', reason: 'INTEGRITY_CHECK_FAILURE', update: release.id });
		t.false(announced, 'device:update never fires for a bad image');
		t.is(readBootState(devicePaths(dir).flash).nextSlot, 0, 'the boot record still names the running slot');
		t.is(bootDevice(dir).version, '1.0.0');
		t.like(w.reports().at(-1), { update: release.id, success: false, reason: 'INTEGRITY_CHECK_FAILURE', version: '1.0.0' });
	});

	test.serial(`[${engine}] an up-to-date device is offered nothing`, async (t) => {
		const w = await world(t);
		await w.publish('1.0.0');
		await w.publish('1.1.0');
		const dir = w.device('1.1.0');
		const result = await runDeviceOnce(dir, { engine });
		t.like(result, { before: '1.1.0', after: '1.1.0', outcome: 'none', update: null, reason: null });
		t.is(readBootState(devicePaths(dir).flash).nextSlot, 0);
	});

	test.serial(`[${engine}] a cloud whose certificate the device does not trust is refused`, async (t) => {
		const w = await world(t);
		await w.publish('1.1.0');
		const stranger = await createCa({ commonName: 'Somebody Else CA' });
		const dir = w.device('1.0.0', stranger.certPem);
		const result = await runDeviceOnce(dir, { engine });
		t.like(result, { before: '1.0.0', after: '1.0.0', outcome: 'failed', reason: 'CONNECTION_LOST' });
		t.regex(result.message ?? '', /certificate/i);
		t.is(w.reports().length, 0, 'nothing reached the cloud');
	});

	test.serial(`[${engine}] an image larger than the slot is refused before anything is written`, async (t) => {
		const w = await world(t);
		const release = await w.publish('1.1.0', 300_000);
		const dir = w.device('1.0.0', undefined, 200_000);
		const result = await runDeviceOnce(dir, { engine });
		t.like(result, { after: '1.0.0', outcome: 'failed', reason: 'NOT_ENOUGH_SPACE', update: release.id });
		t.is(fs.statSync(path.join(devicePaths(dir).flash, 'slot1.bin')).size, 0, 'the inactive slot was never opened');
	});

	test.serial(`[${engine}] an async device:update watcher holds the switch until it settles`, async (t) => {
		const w = await world(t);
		await w.publish('1.1.0');
		const dir = w.device('1.0.0');
		let released = false;
		const result = await runDeviceOnce(dir, {
			engine,
			onAgent(agent) {
				agent.watch('device:update', async () => {
					await new Promise((r) => setTimeout(r, 150));
					t.is(readBootState(devicePaths(dir).flash).nextSlot, 0, 'still the old slot while the watcher works');
					released = true;
				});
				agent.watch('update:state', (s: { state: string }) => {
					if (s.state === 'activating') t.true(released, 'activation waits for the watcher');
				});
			},
		});
		t.like(result, { after: '1.1.0', outcome: 'updated' });
	});
}

test.serial('[xs] an agent that dies mid-download is treated as a crash: the device reboots on its old version, then updates', async (t) => {
	const w = await world(t);
	const release = await w.publish('1.1.0', 2_000_000);
	const dir = w.device('1.0.0');
	const crashed = await runDeviceOnce(dir, {
		engine: 'xs',
		onAgent(agent) {
			agent.watch('update:progress', (p: { received: number; total: number }) => {
				if (p.received > p.total / 2) (agent as XsAgent).kill();
			});
		},
	});
	t.like(crashed, { before: '1.0.0', after: '1.0.0', outcome: 'failed', reason: 'INTERRUPTED' });
	t.is(readBootState(devicePaths(dir).flash).nextSlot, 0);
	const journal = JSON.parse(JSON.parse(fs.readFileSync(devicePaths(dir).store, 'utf8')).journal);
	t.true(journal.written > 1_000_000, 'the journal kept what was written');
	let first: number | undefined;
	const again = await runDeviceOnce(dir, {
		engine: 'xs',
		onAgent: (agent) => agent.watch('update:progress', (p: { received: number }) => (first ??= p.received)),
	});
	t.like(again, { before: '1.0.0', after: '1.1.0', outcome: 'updated', update: release.id });
	// Resumed at the last erase unit below what the journal recorded: at most one chunk again.
	const kept = Math.floor(journal.written / 4096) * 4096;
	t.true(first !== undefined && first > kept && first <= kept + 4096, `resumed at ${kept}, first progress at ${first}`);
});

