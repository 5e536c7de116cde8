/*
 * How a simulated device's flash is partitioned, as an ESP32 partition table would: an otadata
 * region of two sectors (the boot record, otadata.ts) and two app slots of equal size. Slot 0
 * also holds the factory image, which boots while otadata is blank.
 */
import { memoryMedium, type FlashMedium } from './medium';
import { NorFlash } from './nor-flash';
import type { FaultInjector } from './faults';

export type SlotIndex = 0 | 1;

export interface FlashLayout {
	/** The erase unit; 4096 on ESP32. */
	sectorSize: number;
	/** Bytes per app slot, a whole number of sectors. */
	slotSize: number;
}

/** The bytes of each region, without flash rules. */
export interface FlashMedia {
	otadata: FlashMedium;
	slots: [FlashMedium, FlashMedium];
}

/** The regions as the bootloader and the OTA code see them: NOR flash with fault injection. */
export interface FlashRegions {
	layout: FlashLayout;
	otadata: NorFlash;
	slots: [NorFlash, NorFlash];
}

export const DEFAULT_SECTOR_SIZE = 4096;
export const OTADATA_SECTORS = 2;

export function otherSlot(slot: SlotIndex): SlotIndex {
	return slot === 0 ? 1 : 0;
}

export function slotLabel(slot: SlotIndex): string {
	return `slot${slot}`;
}

/** The layout, checked: throws an Error saying what is wrong. */
export function checkLayout(layout: FlashLayout): FlashLayout {
	const { sectorSize, slotSize } = layout ?? {};
	if (!Number.isSafeInteger(sectorSize) || sectorSize < 64 || (sectorSize & (sectorSize - 1)) !== 0) {
		throw new RangeError(`flash sector size must be a power of two of at least 64 bytes, not ${sectorSize}`);
	}
	if (!Number.isSafeInteger(slotSize) || slotSize <= 0 || slotSize % sectorSize !== 0) {
		throw new RangeError(`slot size must be a positive multiple of the ${sectorSize}-byte sector, not ${slotSize}`);
	}
	return { sectorSize, slotSize };
}

export function createFlashRegions(media: FlashMedia, layout: FlashLayout, faults?: FaultInjector): FlashRegions {
	const { sectorSize, slotSize } = checkLayout(layout);
	if (media.otadata.size !== OTADATA_SECTORS * sectorSize) throw new RangeError(`otadata must be ${OTADATA_SECTORS} sectors (${OTADATA_SECTORS * sectorSize} bytes), not ${media.otadata.size} bytes`);
	for (const [i, medium] of media.slots.entries()) {
		if (medium.size !== slotSize) throw new RangeError(`slot${i} holds ${medium.size} bytes, the layout says ${slotSize}`);
	}
	const region = (medium: FlashMedium, label: string) => new NorFlash(medium, { sectorSize, faults, label });
	return {
		layout: { sectorSize, slotSize },
		otadata: region(media.otadata, 'otadata'),
		slots: [region(media.slots[0], slotLabel(0)), region(media.slots[1], slotLabel(1))],
	};
}

/** Flash in memory, blank. Keep the media to keep the device's flash across power cycles. */
export function memoryFlashMedia(layout: FlashLayout): FlashMedia {
	const { sectorSize, slotSize } = checkLayout(layout);
	return {
		otadata: memoryMedium(OTADATA_SECTORS * sectorSize),
		slots: [memoryMedium(slotSize), memoryMedium(slotSize)],
	};
}

/**
 * Program the factory image into slot 0 and leave otadata blank, as flashing a board over serial
 * does. Raw stores: factory programming is not subject to power cuts.
 */
export function programFactoryImage(media: FlashMedia, image: Uint8Array): void {
	if (image.length === 0) throw new RangeError('the factory image is empty');
	if (image.length > media.slots[0].size) throw new RangeError(`factory image of ${image.length} bytes does not fit a ${media.slots[0].size}-byte slot`);
	media.slots[0].store(0, image);
}

/** Memory flash holding `factoryImage` in slot 0: a freshly flashed board, for fleets in one process. */
export function formatMemoryFlash(layout: FlashLayout, factoryImage: Uint8Array): FlashMedia {
	const media = memoryFlashMedia(layout);
	programFactoryImage(media, factoryImage);
	return media;
}
