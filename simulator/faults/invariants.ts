/*
 * What must hold of a device whatever the network and the cloud did to it:
 *
 * - it boots (some slot holds an image the bootloader accepts);
 * - what boots is byte for byte an image that was published for it (its factory image or a
 *   release), and carries that image's version;
 * - no image is ever activated unless its bytes are exactly the release's.
 *
 * The checks read the flash themselves and hash what they find rather than trust the agent's
 * reports; only the moment of the activation check comes from the agent (scenario.ts runs it as
 * the agent enters 'activating', and after any rollback that followed a switch it never
 * announced).
 */
import { createHash } from 'node:crypto';
import { devicePaths } from '../../hosts/sim/host';
import { openFlashFolder } from '../../hosts/sim/flash/flash-folder';
import type { SlotIndex } from '../../hosts/sim/flash/layout';
import { bootDevice, type BootedFirmware } from '../device/boot';
import { validateImage } from '../image';

export type ViolationKind = 'bricked' | 'unpublished-image' | 'bad-image-activated' | 'agent-threw';

export interface Violation {
	kind: ViolationKind;
	message: string;
}

/** An image the device may run: its version and the SHA-256 of its bytes. */
export interface PublishedImage {
	version: string;
	checksum: string;
}

export function sha256Hex(bytes: Uint8Array): string {
	return createHash('sha256').update(bytes).digest('hex');
}

/** The first `length` bytes of a slot of the device in `dir`. */
export function readSlot(dir: string, slot: SlotIndex, length: number): Uint8Array {
	const flash = openFlashFolder(devicePaths(dir).flash).slots[slot];
	if (!Number.isSafeInteger(length) || length <= 0 || length > flash.size) {
		throw new Error(`cannot read ${length} bytes of a ${flash.size}-byte slot`);
	}
	return flash.read(0, length);
}

export interface BootCheck {
	/** What booted; undefined when the device is bricked. */
	booted?: BootedFirmware;
	violation?: Violation;
}

/** Power the device on and check that what runs is a published image. */
export function checkBoot(dir: string, published: readonly PublishedImage[]): BootCheck {
	let booted: BootedFirmware;
	try {
		booted = bootDevice(dir);
	} catch (error) {
		return { violation: { kind: 'bricked', message: `the device does not boot: ${(error as Error).message}` } };
	}
	const flash = openFlashFolder(devicePaths(dir).flash).slots[booted.slot];
	const image = validateImage((offset, length) => flash.read(offset, length), flash.size);
	if (!image) {
		return { booted, violation: { kind: 'bricked', message: `slot${booted.slot} booted but holds no valid image when read back` } };
	}
	const checksum = sha256Hex(flash.read(0, image.length));
	const match = published.find((p) => p.checksum === checksum);
	if (!match) {
		return { booted, violation: { kind: 'unpublished-image', message: `slot${booted.slot} runs ${booted.version} (SHA-256 ${checksum}), which matches no published image` } };
	}
	if (match.version !== booted.version) {
		return { booted, violation: { kind: 'unpublished-image', message: `slot${booted.slot} runs as ${booted.version} but holds the image published as ${match.version}` } };
	}
	return { booted };
}

/** At activation: the slot about to boot must hold exactly the release's bytes. */
export function checkActivation(dir: string, slot: SlotIndex, release: PublishedImage & { size: number }): Violation | undefined {
	let checksum: string;
	try {
		checksum = sha256Hex(readSlot(dir, slot, release.size));
	} catch (error) {
		return { kind: 'bad-image-activated', message: `slot${slot} was activated but cannot be read: ${(error as Error).message}` };
	}
	if (checksum === release.checksum) return undefined;
	return { kind: 'bad-image-activated', message: `slot${slot} was activated for ${release.version} holding SHA-256 ${checksum}, not the release's ${release.checksum}` };
}
