/*
 * Trial boots end to end: new firmware that crashes, fails or never finishes its self-test is
 * rolled back, reported and not taken again; firmware that passes is confirmed.
 */
import test from 'ava';
import * as fs from 'node:fs';
import { runDeviceOnce } from '../../simulator/device/run-device';
import { readBootState } from '../../hosts/sim/flash/flash-folder';
import { devicePaths } from '../../hosts/sim/host';
import { ENGINES } from '../../simulator/device/agent-handle';
import type { FirmwareBehaviour } from '../../simulator/image';
import { world, setIoto } from '../helpers/world';

// Trial boots that must roll back: [behaviour of the new firmware, reason reported]
const failingFirmware: [FirmwareBehaviour, string][] = [
	['crash-on-boot', 'ROLLED_BACK'],
	['fail-selftest', 'SELF_TEST_FAILED'],
	['hang-selftest', 'SELF_TEST_FAILED'],
];
for (const engine of ENGINES) {
	for (const [behaviour, reason] of failingFirmware) {
		test.serial(`[${engine}] new firmware that does "${behaviour}" rolls back, is reported, and is not taken again`, async (t) => {
			const w = await world(t);
			const release = await w.publishImage('1.1.0', behaviour);
			const dir = w.device('1.0.0');
			setIoto(dir, { update: { confirmDeadline: '1 sec' } });
			const result = await runDeviceOnce(dir, { engine });
			t.like(result, { before: '1.0.0', after: '1.0.0', outcome: 'rolledback', reason, update: release.id });
			t.like(readBootState(devicePaths(dir).flash), { nextSlot: 0, trial: false });
			t.like(w.reports().at(-1), { id: result.id, update: release.id, success: false, reason, version: '1.0.0' });
			// A self-test failure blocks at once; a rollback of unknown cause (a crash, or a power cut
			// before the confirmation) gets one more attempt.
			let reports = 1;
			if (reason === 'ROLLED_BACK') {
				t.like(await runDeviceOnce(dir, { engine }), { after: '1.0.0', outcome: 'rolledback', reason });
				reports++;
			}
			const again = await runDeviceOnce(dir, { engine });
			t.like(again, { after: '1.0.0', outcome: 'rejected', reason: 'RELEASE_BLOCKED' });
			t.is(w.reports().length, reports, 'a blocked release is not reported again');
		});
	}
}

test.serial('[node] a trial that confirms keeps the new firmware and raises the version floor', async (t) => {
	const w = await world(t);
	await w.publish('1.1.0');
	const dir = w.device('1.0.0');
	const trials: unknown[] = [];
	const result = await runDeviceOnce(dir, { engine: 'node', onAgent: (agent) => agent.watch('update:trial', (x: unknown) => trials.push(x)) });
	t.like(result, { after: '1.1.0', outcome: 'updated', restarts: 1 });
	t.is(trials.length, 1);
	t.like(readBootState(devicePaths(dir).flash), { nextSlot: 1, trial: false });
	const store = JSON.parse(fs.readFileSync(devicePaths(dir).store, 'utf8'));
	t.is(store.floor, '1.1.0');
});

