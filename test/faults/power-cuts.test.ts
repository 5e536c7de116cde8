/*
 * Power cuts at the flash and store operations of a full update (every third cut point here;
 * `updraft faults --power-cuts` runs them all, torn writes included).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runPowerCutCampaign, activationViolation } from '../../simulator/faults/power-cuts';
import { initDevice } from '../../simulator/device/device-folder';
import { makeImage } from '../../simulator/image';
import { createFlashRegions, type SlotIndex } from '../../hosts/sim/flash/layout';
import { fileFlashMedia, readFlashLayout } from '../../hosts/sim/flash/flash-folder';
import { Otadata } from '../../hosts/sim/flash/otadata';
import { devicePaths } from '../../hosts/sim/host';
import { createCa } from '../../simulator/tls/certificates';
import { createHash } from 'node:crypto';

test('a cut at any operation leaves a device that boots a published image and finishes the update', async (t) => {
	const summary = await runPowerCutCampaign({ stride: 3 });
	t.true(summary.cutPoints > 20, `a full update has ${summary.cutPoints} operations`);
	t.true(summary.kinds.erase > 0 && summary.kinds.write > 0 && summary.kinds.store > 0);
	t.deepEqual(summary.failures, []);
	t.is(summary.bricked, 0);
	t.is(summary.badImagesActivated, 0);
	t.is(summary.finished, summary.runs);
});

test('the activation check catches a slot activated with the wrong bytes', async (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-activation-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	const ca = await createCa({ commonName: 'test' });
	initDevice({ dir: path.join(dir, 'd'), id: 'd', product: 'p', version: '1.0.0', cloud: 'https://localhost:1', caPem: ca.certPem, token: 't', slotSize: 64 * 1024 });
	const flash = devicePaths(path.join(dir, 'd')).flash;
	const release = makeImage({ product: 'p', version: '1.1.0' }, 20_000);
	const checksum = createHash('sha256').update(release).digest('hex');
	const regions = createFlashRegions(fileFlashMedia(flash, readFlashLayout(flash)), readFlashLayout(flash));
	const slot: SlotIndex = 1;
	const write = (bytes: Uint8Array) => {
		for (let s = 0; s < Math.ceil(bytes.length / 4096); s++) regions.slots[slot].eraseSector(s);
		regions.slots[slot].write(0, bytes);
	};
	t.is(activationViolation(path.join(dir, 'd'), { checksum, size: release.length }), undefined, 'nothing activated: nothing to check');
	const corrupt = Buffer.from(release);
	corrupt[5000] ^= 0xff;
	write(corrupt);
	new Otadata(regions.otadata).write(slot, 'NEW');
	t.regex(activationViolation(path.join(dir, 'd'), { checksum, size: release.length }) ?? '', /does not hold the release/);
	write(release);
	t.is(activationViolation(path.join(dir, 'd'), { checksum, size: release.length }), undefined);
});
