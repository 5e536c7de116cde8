/*
 * The agent's FlashPort over a device's flash, shaped like ESP-IDF's app_update API:
 * openInactive is esp_ota_begin on the slot that is not running (refused while the running slot
 * is on trial, as esp_ota_begin refuses with ESP_ERR_OTA_ROLLBACK_INVALID_STATE, because that
 * slot is what a rollback returns to), the writer erases each sector when the first write reaches
 * it (OTA_WITH_SEQUENTIAL_WRITES), activate is esp_ota_set_boot_partition (an otadata entry
 * {slot, NEW}), confirm is esp_ota_mark_app_valid_cancel_rollback and rollback is
 * esp_ota_mark_app_invalid_rollback_and_reboot without the reboot.
 */
import type { ByteSource, FlashPort, RunningState, SlotWriter } from '../../../modules/ports';
import { otherSlot, slotLabel, type FlashRegions, type SlotIndex } from './layout';
import { Otadata, type OtaEntry } from './otadata';
import type { ImageValidator } from './bootloader';
import type { NorFlash } from './nor-flash';

export interface OtaFlashOptions {
	/** Checks that the other slot can boot before rollback() points at it. */
	validate?: ImageValidator;
}

export interface OtaFlash extends FlashPort {
	readonly runningSlot: SlotIndex;
}

/**
 * The slot running now and its state, read from the otadata entry the bootloader left in force
 * (it always names what runs, see bootloader.ts). NEW only occurs before the next boot: the slot
 * that activated it is still running, and it was confirmed (a trial cannot open a slot).
 */
export function runningFromEntry(entry: OtaEntry | undefined): { slot: SlotIndex; state: RunningState } {
	if (!entry) return { slot: 0, state: 'confirmed' };
	switch (entry.state) {
		case 'PENDING_VERIFY':
			return { slot: entry.slot, state: 'trial' };
		case 'VALID':
			return { slot: entry.slot, state: 'confirmed' };
		default:
			return { slot: otherSlot(entry.slot), state: 'confirmed' };
	}
}

export function createOtaFlash(regions: FlashRegions, runningSlot: SlotIndex, runningState: RunningState, options: OtaFlashOptions = {}): OtaFlash {
	if (runningSlot !== 0 && runningSlot !== 1) throw new RangeError(`running slot must be 0 or 1, not ${String(runningSlot)}`);
	if (runningState !== 'trial' && runningState !== 'confirmed') throw new RangeError(`running state must be 'trial' or 'confirmed', not ${String(runningState)}`);
	const otadata = new Otadata(regions.otadata);
	const inactive = otherSlot(runningSlot);
	let state: RunningState = runningState;
	let rolledBack = false;
	return {
		runningSlot,
		openInactive(byteLength, keep = 0) {
			const flash = regions.slots[inactive];
			if (!Number.isSafeInteger(byteLength) || byteLength <= 0) throw new RangeError(`image length must be a positive integer, not ${byteLength}`);
			if (byteLength > flash.size) throw new RangeError(`image of ${byteLength} bytes does not fit the ${flash.size}-byte ${flash.label}`);
			if (!Number.isSafeInteger(keep) || keep < 0 || keep % flash.sectorSize !== 0) {
				throw new RangeError(`keep must be a multiple of the ${flash.sectorSize}-byte erase size, not ${keep}`);
			}
			if (keep > byteLength) throw new RangeError(`keep (${keep}) is past the end of the ${byteLength}-byte image`);
			if (rolledBack) throw new Error(`${flash.label} was rolled back to and boots next: restart before updating again`);
			if (state === 'trial') throw new Error(`slot${runningSlot} runs on trial: confirm() or rollback() before writing ${flash.label}, the slot a rollback returns to`);
			return new OtaSlotWriter(flash, inactive, otadata, byteLength, keep);
		},
		runningState: () => state,
		confirm() {
			if (rolledBack) throw new Error(`slot${runningSlot} was rolled back: it cannot be confirmed`);
			if (state === 'confirmed') return;
			otadata.write(runningSlot, 'VALID');
			state = 'confirmed';
		},
		rollback() {
			const flash = regions.slots[inactive];
			if (!options.validate) throw new Error('rollback needs an image validator: this flash was created without one');
			if (!options.validate((offset, length) => flash.read(offset, length), flash.size)) throw new Error('no image to roll back to');
			// One entry does it: it names the other slot, so the running one will not boot again.
			otadata.write(inactive, 'VALID');
			rolledBack = true;
		},
	};
}

class OtaSlotWriter implements SlotWriter {
	readonly label: string;
	readonly size: number;
	readonly eraseSize: number;
	#flash: NorFlash;
	#slot: SlotIndex;
	#otadata: Otadata;
	#byteLength: number;
	#keep: number;
	/** Sectors erased since this slot was opened; sectors below `keep` are never erased. */
	#erased = new Set<number>();
	#closed = false;
	#activated = false;

	constructor(flash: NorFlash, slot: SlotIndex, otadata: Otadata, byteLength: number, keep: number) {
		this.#flash = flash;
		this.#slot = slot;
		this.#otadata = otadata;
		this.#byteLength = byteLength;
		this.#keep = keep;
		this.label = slotLabel(slot);
		this.size = flash.size;
		this.eraseSize = flash.sectorSize;
	}

	write(source: ByteSource, offset: number): void {
		this.#open('write to');
		const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
		if (!(bytes instanceof Uint8Array)) throw new TypeError(`${this.label}: write takes a Uint8Array or an ArrayBuffer`);
		if (!Number.isSafeInteger(offset) || offset < 0 || offset + bytes.length > this.#byteLength) {
			throw new RangeError(`${this.label}: write of ${bytes.length} bytes at ${offset} is outside the ${this.#byteLength}-byte image`);
		}
		if (offset < this.#keep) throw new RangeError(`${this.label}: write at ${offset} falls in the ${this.#keep} bytes kept from before`);
		if (bytes.length === 0) return;
		const size = this.eraseSize;
		for (let sector = Math.floor(offset / size); sector <= Math.floor((offset + bytes.length - 1) / size); sector++) {
			if (this.#erased.has(sector)) continue;
			this.#flash.eraseSector(sector);
			this.#erased.add(sector);
		}
		this.#flash.write(offset, bytes);
	}

	read(offset: number, byteLength: number): ArrayBuffer {
		this.#open('read from');
		const bytes = this.#flash.read(offset, byteLength);
		return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
	}

	activate(): void {
		this.#open('activate');
		if (this.#activated) return;
		this.#otadata.write(this.#slot, 'NEW');
		this.#activated = true;
	}

	close(): void {
		this.#closed = true;
	}

	#open(what: string): void {
		if (this.#closed) throw new Error(`cannot ${what} ${this.label}: it is closed`);
	}
}
