/*
 * The second-stage bootloader, as ESP-IDF's with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE:
 *
 *   otadata entry in force        boots                         writes
 *   none (blank otadata)          slot 0, the factory image     nothing
 *   {slot, NEW}                   slot, on trial                {slot, PENDING_VERIFY}
 *   {slot, PENDING_VERIFY}        the other slot (rolled back)  {slot, ABORTED}
 *   {slot, VALID}                 slot                          nothing
 *   {slot, INVALID | ABORTED}     the other slot                nothing
 *
 * A trial that is still PENDING_VERIFY at boot was never confirmed (a crash, a reset, a power
 * cut): the previous slot takes over. The chosen slot must pass image validation; when it does
 * not, the other slot boots if it validates (rolled back), and otadata is rewritten to name it
 * as VALID so that later boots do not retry the broken slot (ESP-IDF retries it each boot; the
 * record here always names what runs). When neither slot validates the device is bricked.
 *
 * The bootloader's otadata writes are fault operations like any other: a power cut during boot
 * leaves the previous entry in force, and the next power-on boots again from it.
 */
import type { RunningState } from '../../../modules/ports';
import { otherSlot, slotLabel, type FlashRegions, type SlotIndex } from './layout';
import { Otadata, type OtaEntry } from './otadata';

export interface BootImage {
	product: string;
	version: string;
	/** Bytes of the image, from the start of the slot. */
	length: number;
	/** What the simulated firmware does when it runs (the simulator's rehearsal of failures). */
	behaviour?: string;
}

/** Checks the image in a slot (header and digest); undefined when the slot holds no bootable image. */
export type ImageValidator = (read: (offset: number, length: number) => Uint8Array, slotSize: number) => BootImage | undefined;

export interface BootResult {
	/** The slot that runs. */
	slot: SlotIndex;
	/** 'trial' on the first boot of a new image, until the app confirms it. */
	state: RunningState;
	/** The slot otadata chose could not run (an unconfirmed trial or a bad image): the other one does. */
	rolledBack: boolean;
	image: BootImage;
	/** The otadata entry in force after boot. */
	entry: OtaEntry | undefined;
}

/** No slot holds a bootable image: the device is bricked. */
export class BootError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BootError';
	}
}

export function boot(regions: FlashRegions, validate: ImageValidator): BootResult {
	const otadata = new Otadata(regions.otadata);
	let entry = otadata.read();
	let slot: SlotIndex = 0;
	let rolledBack = false;
	if (entry) {
		switch (entry.state) {
			case 'NEW':
			case 'VALID':
				slot = entry.slot;
				break;
			case 'PENDING_VERIFY':
				entry = otadata.write(entry.slot, 'ABORTED');
				slot = otherSlot(entry.slot);
				rolledBack = true;
				break;
			case 'INVALID':
			case 'ABORTED':
				slot = otherSlot(entry.slot);
				break;
		}
	}
	const chosen = check(regions, slot, validate);
	if (chosen.image) {
		if (entry?.state === 'NEW') {
			entry = otadata.write(slot, 'PENDING_VERIFY');
			return { slot, state: 'trial', rolledBack, image: chosen.image, entry };
		}
		return { slot, state: 'confirmed', rolledBack, image: chosen.image, entry };
	}
	const fallback = otherSlot(slot);
	const other = check(regions, fallback, validate);
	if (!other.image) {
		throw new BootError(`no bootable image: ${slotLabel(slot)} ${chosen.problem}, ${slotLabel(fallback)} ${other.problem}`);
	}
	entry = otadata.write(fallback, 'VALID');
	return { slot: fallback, state: 'confirmed', rolledBack: true, image: other.image, entry };
}

function check(regions: FlashRegions, slot: SlotIndex, validate: ImageValidator): { image?: BootImage; problem: string } {
	const flash = regions.slots[slot];
	try {
		const image = validate((offset, length) => flash.read(offset, length), flash.size);
		return image ? { image, problem: '' } : { problem: 'holds no valid image' };
	} catch (error) {
		// A corrupt header can send the validator reading anywhere: that slot cannot boot.
		return { problem: `could not be read (${(error as Error).message})` };
	}
}
