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
	let regions;
	try {
		regions = openFlashFolder(paths.flash, faults);
	} catch (error) {
		throw new BootError(`no flash to boot from: ${(error as Error).message}`);
	}
	const booted = boot(regions, deviceImageValidator(deviceProduct(dir)));
	const { product, version } = booted.image;
	const behaviour = (booted.image.behaviour ?? 'normal') as FirmwareBehaviour;
	// The running firmware carries its own ioto.json5 version; keep the file in step with it.
	const ioto = path.join(paths.config, 'ioto.json5');
	const config = JSON5.parse(fs.readFileSync(ioto, 'utf8')) as Record<string, unknown>;
	if (config.version !== version) {
		writeFileAtomic(ioto, `${JSON5.stringify({ ...config, version }, null, 4)}\n`);
	}
	return { product, version, behaviour, slot: booted.slot, state: booted.state, rolledBack: booted.rolledBack };
}
