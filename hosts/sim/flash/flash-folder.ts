/*
 * A device's flash as a folder, one file per region (sparse: unwritten flash costs no disk):
 *
 *   layout.json    {sectorSize, slotSize}
 *   otadata.bin    the two otadata sectors (otadata.ts)
 *   slot0.bin      app slot 0, holding the factory image
 *   slot1.bin      app slot 1
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../atomic-file';
import { fileMedium } from './medium';
import { checkLayout, createFlashRegions, programFactoryImage, DEFAULT_SECTOR_SIZE, OTADATA_SECTORS, otherSlot, type FlashLayout, type FlashMedia, type FlashRegions, type SlotIndex } from './layout';
import { Otadata, type OtaEntry } from './otadata';
import type { FaultInjector } from './faults';
import { runningFromEntry } from './ota-flash';

const LAYOUT = 'layout.json';
const FILES = ['otadata.bin', 'slot0.bin', 'slot1.bin'];

export function readFlashLayout(dir: string): FlashLayout {
	const file = path.join(dir, LAYOUT);
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${dir} holds no flash (no ${LAYOUT})`);
		throw error;
	}
	try {
		return checkLayout(JSON.parse(text) as FlashLayout);
	} catch (error) {
		throw new Error(`corrupt flash layout ${file}: ${(error as Error).message}`);
	}
}

export function fileFlashMedia(dir: string, layout: FlashLayout): FlashMedia {
	const { sectorSize, slotSize } = checkLayout(layout);
	return {
		otadata: fileMedium(path.join(dir, 'otadata.bin'), OTADATA_SECTORS * sectorSize),
		slots: [fileMedium(path.join(dir, 'slot0.bin'), slotSize), fileMedium(path.join(dir, 'slot1.bin'), slotSize)],
	};
}

/** Create blank flash in `dir` (any previous flash there is wiped) with `factoryImage` in slot 0. */
export function formatFlash(dir: string, slotSize: number, factoryImage: Uint8Array, sectorSize = DEFAULT_SECTOR_SIZE): FlashLayout {
	const layout = checkLayout({ sectorSize, slotSize });
	if (factoryImage.length > slotSize) throw new RangeError(`factory image of ${factoryImage.length} bytes does not fit a ${slotSize}-byte slot`);
	fs.mkdirSync(dir, { recursive: true });
	for (const name of FILES) fs.rmSync(path.join(dir, name), { force: true });
	const media = fileFlashMedia(dir, layout);
	programFactoryImage(media, factoryImage);
	writeJsonAtomic(path.join(dir, LAYOUT), layout);
	return layout;
}

/** The flash in `dir` as NOR regions; every erase and write goes through `faults`. */
export function openFlashFolder(dir: string, faults?: FaultInjector): FlashRegions {
	const layout = readFlashLayout(dir);
	return createFlashRegions(fileFlashMedia(dir, layout), layout, faults);
}

export interface BootState {
	/** The otadata entry in force; undefined while otadata is blank. */
	entry: OtaEntry | undefined;
	/** The slot the next boot picks from otadata (before it checks the image). */
	nextSlot: SlotIndex;
	/** Whether that boot is a trial (the entry is NEW). */
	trial: boolean;
	/** The slot running since the last boot, as otadata records it. */
	runningSlot: SlotIndex;
}

/** What otadata says now: which slot boots next and whether on trial. */
export function bootStateOf(regions: FlashRegions): BootState {
	const entry = new Otadata(regions.otadata).read();
	const runningSlot = runningFromEntry(entry).slot;
	if (!entry) return { entry, nextSlot: 0, trial: false, runningSlot };
	switch (entry.state) {
		case 'NEW':
			return { entry, nextSlot: entry.slot, trial: true, runningSlot };
		case 'VALID':
			return { entry, nextSlot: entry.slot, trial: false, runningSlot };
		default:
			// PENDING_VERIFY at boot is an unconfirmed trial: the bootloader returns to the other slot.
			return { entry, nextSlot: otherSlot(entry.slot), trial: false, runningSlot };
	}
}

export function readBootState(dir: string): BootState {
	return bootStateOf(openFlashFolder(dir));
}
