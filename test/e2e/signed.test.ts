/*
 * Signed releases end to end: the publisher signs, the cloud only carries the manifest, and the
 * device refuses anything it cannot trust before a byte is erased, on both engines.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDeviceOnce } from '../../simulator/device/run-device';
import { ENGINES } from '../../simulator/device/agent-handle';
import { createSigningKey, loadSigningKey, type SigningKey } from '../../simulator/signing/release-signing';
import { readBootState } from '../../hosts/sim/flash/flash-folder';
import { devicePaths } from '../../hosts/sim/host';
import { world } from '../helpers/world';

function keys(t: { teardown(fn: () => void): void }, n: number): SigningKey[] {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-keys-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	return Array.from({ length: n }, (_, i) => loadSigningKey(createSigningKey(path.join(dir, `k${i}`)).privatePath));
}

for (const engine of ENGINES) {
	test.serial(`[${engine}] a release signed by a trusted key is installed`, async (t) => {
		const w = await world(t);
		const [publisher] = keys(t, 1);
		const release = await w.publishSigned('1.1.0', [publisher]);
		t.truthy(release.manifest, 'the cloud keeps the manifest');
		const dir = w.device('1.0.0', undefined, undefined, undefined, [publisher.publicKey]);
		t.like(await runDeviceOnce(dir, { engine }), { after: '1.1.0', outcome: 'updated', update: release.id });
	});

	test.serial(`[${engine}] unsigned, or signed by an unknown key: refused before anything is written`, async (t) => {
		const w = await world(t);
		const [trusted, stranger] = keys(t, 2);
		await w.publish('1.1.0');
		const dir = w.device('1.0.0', undefined, undefined, undefined, [trusted.publicKey]);
		t.like(await runDeviceOnce(dir, { engine }), { after: '1.0.0', outcome: 'rejected', reason: 'SIGNATURE_MISSING' });
		await w.publishSigned('1.2.0', [stranger]);
		t.like(await runDeviceOnce(dir, { engine }), { after: '1.0.0', outcome: 'rejected', reason: 'SIGNATURE_UNKNOWN_KEY' });
		t.is(fs.statSync(path.join(devicePaths(dir).flash, 'slot1.bin')).size, 0, 'the inactive slot was never written');
		t.like(w.reports().at(-1), { success: false, reason: 'SIGNATURE_UNKNOWN_KEY' });
	});
}

test.serial('[node] an image changed at rest after signing is refused as tampered', async (t) => {
	const w = await world(t);
	const [publisher] = keys(t, 1);
	const release = await w.publishSigned('1.1.0', [publisher]);
	const stored = w.cloud.store.imagePath(w.cloud.store.get(release.id)!);
	const bytes = fs.readFileSync(stored);
	bytes[1000] ^= 0x40;
	fs.writeFileSync(stored, bytes);
	const dir = w.device('1.0.0', undefined, undefined, undefined, [publisher.publicKey]);
	t.like(await runDeviceOnce(dir, { engine: 'node' }), { after: '1.0.0', outcome: 'rejected', reason: 'IMAGE_TAMPERED' });
	t.is(readBootState(devicePaths(dir).flash).nextSlot, 0);
});

test.serial('[node] an expired manifest is refused (a frozen release)', async (t) => {
	const w = await world(t);
	const [publisher] = keys(t, 1);
	await w.publishSigned('1.1.0', [publisher], { lifetime: 1500 });
	await new Promise((r) => setTimeout(r, 2100));
	const dir = w.device('1.0.0', undefined, undefined, undefined, [publisher.publicKey]);
	t.like(await runDeviceOnce(dir, { engine: 'node' }), { after: '1.0.0', outcome: 'rejected', reason: 'MANIFEST_EXPIRED' });
});

test.serial('[node] two of three keys: a release signed by one is refused, by two is taken', async (t) => {
	const w = await world(t);
	const trio = keys(t, 3);
	await w.publishSigned('1.1.0', [trio[0]]);
	const dir = w.device('1.0.0', undefined, undefined, undefined, trio.map((k) => k.publicKey));
	const ioto = path.join(devicePaths(dir).config, 'ioto.json5');
	fs.writeFileSync(ioto, fs.readFileSync(ioto, 'utf8').replace("signatures: 'required',", "signatures: 'required',\n        threshold: 2,"));
	t.like(await runDeviceOnce(dir, { engine: 'node' }), { after: '1.0.0', outcome: 'rejected', reason: 'SIGNATURE_INVALID' });
	await w.publishSigned('1.2.0', [trio[1], trio[2]]);
	t.like(await runDeviceOnce(dir, { engine: 'node' }), { after: '1.2.0', outcome: 'updated' });
});

test.serial('[node] an older release marked as a downgrade brings devices back (Ioto\'s cloud-side rollback)', async (t) => {
	const w = await world(t);
	await w.publish('1.2.0');
	const dir = w.device('1.1.0');
	t.like(await runDeviceOnce(dir, { engine: 'node' }), { after: '1.2.0', outcome: 'updated' });
	// 1.2.0 is bad: disable it and publish 1.1.0 again for the devices that run 1.2.0.
	const bad = w.cloud.store.list().find((r) => r.version === '1.2.0')!;
	await w.admin.updateRelease({ id: bad.id, changes: { enable: false } });
	await w.admin.createRelease({ version: '1.1.0', image: w.image('1.1.0'), policy: "version == '1.2.0'", downgrade: true });
	t.like(await runDeviceOnce(dir, { engine: 'node' }), { before: '1.2.0', after: '1.1.0', outcome: 'updated' });
});
