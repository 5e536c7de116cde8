/*
 * Power-on of a simulated device: the bootloader (hosts/sim/flash/bootloader.ts) picks the slot
 * from otadata, checks its image (header, SHA-256, and the product the device is), settles trial
 * and rollback, and says which firmware runs. When no slot holds a bootable image the device is
 * bricked: BootError.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import JSON5 from 'json5';
import { devicePaths } from '../../hosts/sim/host';
import { openFlashFolder } from '../../hosts/sim/flash/flash-folder';
import { boot, BootError, type ImageValidator } from '../../hosts/sim/flash/bootloader';
import type { SlotIndex } from '../../hosts/sim/flash/layout';
import type { FaultInjector } from '../../hosts/sim/flash/faults';
import type { RunningState } from '../../modules/ports';
import { writeFileAtomic } from '../../hosts/sim/atomic-file';
import { scriptDevicePaths } from './device-folder';
import { validateImage, type ImageHeader, type FirmwareBehaviour } from '../image';

export { BootError };

export interface BootedFirmware extends ImageHeader {
	slot: SlotIndex;
	/** 'trial' on the first boot of a new image, until the agent confirms it. */
	state: RunningState;
	/** The slot otadata chose could not run (an unconfirmed trial or a bad image): the other one did. */
	rolledBack: boolean;
}

/**
 * The image check of this device's bootloader: a valid image built for the device's product.
 * Firmware for another product is refused like a corrupt image, so the other slot boots instead.
 */
export function deviceImageValidator(product: string | undefined): ImageValidator {
	return (read, slotSize) => {
		const image = validateImage(read, slotSize);
		return image && (product === undefined || image.product === product) ? image : undefined;
	};
}

/** The product named in the device's device.json5, if any. */
export function deviceProduct(dir: string): string | undefined {
	const device = JSON5.parse(fs.readFileSync(path.join(devicePaths(dir).config, 'device.json5'), 'utf8')) as Record<string, unknown>;
	return device.product === undefined ? undefined : String(device.product);
}

/**
 * Run the bootloader of the device in `dir`. Its otadata writes go through `faults`: a power cut
 * during boot throws PowerCut and leaves a device that boots again on the next call.
 */
export function bootDevice(dir: string, faults?: FaultInjector): BootedFirmware {
	const paths = devicePaths(dir);
	if (isScriptDevice(dir)) return startScriptDevice(dir);
	let regions;
	try {
		regions = openFlashFolder(paths.flash, faults);
	} catch (error) {
		throw new BootError(`no flash to boot from: ${(error as Error).message}`);
	}
	const booted = boot(regions, deviceImageValidator(deviceProduct(dir)));
	const { product, version } = booted.image;
	const behaviour = (booted.image.behaviour ?? 'normal') as FirmwareBehaviour;
	syncIotoVersion(dir, version);
	return { product, version, behaviour, slot: booted.slot, state: booted.state, rolledBack: booted.rolledBack };
}

/** A device whose ioto.json5 names an update script installs that way (Ioto on Unix-like systems). */
export function isScriptDevice(dir: string): boolean {
	const file = path.join(devicePaths(dir).config, 'ioto.json5');
	if (!fs.existsSync(file)) return false;
	const ioto = JSON5.parse(fs.readFileSync(file, 'utf8')) as { scripts?: { update?: unknown } };
	return typeof ioto.scripts?.update === 'string';
}

/** Start a script-installed device: it runs firmware/current.bin, whatever its installer put there. */
function startScriptDevice(dir: string): BootedFirmware {
	const file = scriptDevicePaths(dir).firmware;
	let bytes: Buffer;
	try {
		bytes = fs.readFileSync(file);
	} catch (error) {
		throw new BootError(`no firmware to start: ${(error as Error).message}`);
	}
	const image = validateImage((offset, length) => bytes.subarray(offset, offset + length), bytes.length);
	const product = deviceProduct(dir);
	if (!image || (product !== undefined && image.product !== product)) throw new BootError(`${file} holds no valid firmware for this device`);
	syncIotoVersion(dir, image.version);
	return { product: image.product, version: image.version, behaviour: image.behaviour ?? 'normal', slot: 0, state: 'confirmed', rolledBack: false };
}

/** The running firmware carries its own ioto.json5 version; keep the file in step with it. */
function syncIotoVersion(dir: string, version: string): void {
	const ioto = path.join(devicePaths(dir).config, 'ioto.json5');
	const config = JSON5.parse(fs.readFileSync(ioto, 'utf8')) as Record<string, unknown>;
	if (config.version !== version) writeFileAtomic(ioto, `${JSON5.stringify({ ...config, version }, null, 4)}\n`);
}
