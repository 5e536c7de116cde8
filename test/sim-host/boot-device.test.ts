import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import JSON5 from 'json5';
import { initDevice } from '../../simulator/device/device-folder';
import { bootDevice, BootError } from '../../simulator/device/boot';
import { createSimHost, devicePaths } from '../../hosts/sim/host';
import { openFlashFolder, readBootState } from '../../hosts/sim/flash/flash-folder';
import { createOtaFlash } from '../../hosts/sim/flash/ota-flash';
import { CutAtOperation, OperationCounter, PowerCut } from '../../hosts/sim/flash/faults';
import { makeImage, validateImage } from '../../simulator/image';

const CA = '-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n';

function device(t: { teardown(fn: () => void): void }, slotSize = 256 * 1024): string {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-boot-'));
	t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
	const dir = path.join(root, 'dev');
	initDevice({ dir, id: 'dev', product: 'sensor', version: '1.0.0', cloud: 'https://127.0.0.1:1', caPem: CA, token: 't', slotSize, imageSize: 20_000 });
	return dir;
}

const iotoVersion = (dir: string) => (JSON5.parse(fs.readFileSync(path.join(devicePaths(dir).config, 'ioto.json5'), 'utf8')) as { version: string }).version;

/** Write `bytes` into the inactive slot and activate it, as the agent does. */
function install(dir: string, bytes: Uint8Array): void {
	const writer = createOtaFlash(openFlashFolder(devicePaths(dir).flash), readBootState(devicePaths(dir).flash).runningSlot, 'confirmed').openInactive(bytes.length);
	writer.write(bytes, 0);
	writer.activate();
}

test('a fresh device boots its factory image from slot 0, confirmed', (t) => {
	const dir = device(t);
	t.deepEqual(bootDevice(dir), { product: 'sensor', version: '1.0.0', slot: 0, state: 'confirmed', rolledBack: false, behaviour: 'normal' });
});

test('initDevice rounds the slot size up to whole sectors', (t) => {
	const dir = device(t, 200_000);
	t.deepEqual(JSON.parse(fs.readFileSync(path.join(devicePaths(dir).flash, 'layout.json'), 'utf8')), { sectorSize: 4096, slotSize: 200_704 });
});

test('a new image boots on trial and ioto.json5 follows the running version; unconfirmed, the next boot rolls back', (t) => {
	const dir = device(t);
	install(dir, makeImage({ product: 'sensor', version: '1.1.0' }, 30_000));
	t.deepEqual(bootDevice(dir), { product: 'sensor', version: '1.1.0', slot: 1, state: 'trial', rolledBack: false, behaviour: 'normal' });
	t.is(iotoVersion(dir), '1.1.0');
	t.deepEqual(bootDevice(dir), { product: 'sensor', version: '1.0.0', slot: 0, state: 'confirmed', rolledBack: true, behaviour: 'normal' });
	t.is(iotoVersion(dir), '1.0.0');
});

test('a host created after boot runs the slot and state the bootloader left, and confirm() keeps the image', (t) => {
	const dir = device(t);
	install(dir, makeImage({ product: 'sensor', version: '1.1.0' }, 30_000));
	const firmware = bootDevice(dir);
	// Without `running`, the host reads it from otadata; with it, it takes the bootloader's word.
	for (const running of [undefined, firmware]) {
		const host = createSimHost({ dir, version: firmware.version, running });
		t.is(host.ports.flash.runningState(), 'trial');
		t.is(host.ports.system.version(), '1.1.0');
		t.false(host.restartRequested);
		host.ports.system.restart();
		t.true(host.restartRequested);
		host.dispose();
	}
	const host = createSimHost({ dir, version: firmware.version, running: firmware, validate: validateImage });
	host.ports.flash.confirm();
	host.dispose();
	t.like(bootDevice(dir), { version: '1.1.0', slot: 1, state: 'confirmed', rolledBack: false, behaviour: 'normal' });
});

test('the host\'s fault injector sees its flash and store operations', (t) => {
	const dir = device(t);
	const firmware = bootDevice(dir);
	const counter = new OperationCounter();
	const host = createSimHost({ dir, version: firmware.version, running: firmware, faults: counter });
	host.ports.store.set('k', 'v');
	host.ports.flash.openInactive(5000).write(new Uint8Array(5000), 0);
	host.dispose();
	t.deepEqual(counter.kinds, { erase: 2, write: 1, store: 1 });
});

test('firmware for another product, or a corrupt image, is refused: the other slot boots', (t) => {
	// [what is installed, why it cannot boot]
	const corrupt = makeImage({ product: 'sensor', version: '1.1.0' }, 30_000);
	corrupt[1000] ^= 0x80;
	const table: [string, Uint8Array][] = [
		['another product', makeImage({ product: 'doorbell', version: '9.0.0' }, 30_000)],
		['a corrupt image', corrupt],
	];
	for (const [what, bytes] of table) {
		const dir = device(t);
		install(dir, bytes);
		t.deepEqual(bootDevice(dir), { product: 'sensor', version: '1.0.0', slot: 0, state: 'confirmed', rolledBack: true, behaviour: 'normal' }, what);
	}
});

test('a device with no bootable image is bricked: BootError', (t) => {
	const dir = device(t);
	fs.writeFileSync(path.join(devicePaths(dir).flash, 'slot0.bin'), new Uint8Array(100));
	t.throws(() => bootDevice(dir), { instanceOf: BootError, message: /no bootable image: slot0 holds no valid image, slot1 holds no valid image/ });
	fs.rmSync(devicePaths(dir).flash, { recursive: true });
	t.throws(() => bootDevice(dir), { instanceOf: BootError, message: /no flash to boot from/ });
});

test('a power cut while booting a trial leaves a device that boots the trial next time', (t) => {
	const dir = device(t);
	install(dir, makeImage({ product: 'sensor', version: '1.1.0' }, 30_000));
	t.throws(() => bootDevice(dir, new CutAtOperation(2, { tear: 'half' })), { instanceOf: PowerCut });
	t.is(iotoVersion(dir), '1.0.0', 'nothing ran');
	t.like(bootDevice(dir), { version: '1.1.0', state: 'trial' });
});
