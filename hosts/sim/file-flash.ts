/*
 * Flash as files: two app slots (slot0.bin, slot1.bin) and a boot record (boot.json) naming the
 * slot that boots and how long each slot's image is. Opening the inactive slot erases it; only
 * activate() rewrites the boot record, atomically, so an image that was never activated can never
 * boot, whatever happened while it was written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FlashPort, SlotWriter, ByteSource } from '../../modules/ports';
import { writeFileAtomic } from './atomic-file';

export type SlotIndex = 0 | 1;

export interface BootRecord {
	active: SlotIndex;
	/** Length of the image written in each slot (0 when empty). */
	lengths: [number, number];
	slotSize: number;
}

const BOOT_FILE = 'boot.json';

export function slotFile(dir: string, slot: SlotIndex): string {
	return path.join(dir, `slot${slot}.bin`);
}

/** Create the flash folder with `image` in slot 0 as the factory image. */
export function formatFlash(dir: string, slotSize: number, image: Uint8Array): void {
	if (image.byteLength > slotSize) throw new RangeError(`factory image of ${image.byteLength} bytes does not fit a ${slotSize}-byte slot`);
	fs.mkdirSync(dir, { recursive: true });
	writeFileAtomic(slotFile(dir, 0), image);
	writeFileAtomic(slotFile(dir, 1), new Uint8Array(0));
	writeBootRecord(dir, { active: 0, lengths: [image.byteLength, 0], slotSize });
}

export function readBootRecord(dir: string): BootRecord {
	const record = JSON.parse(fs.readFileSync(path.join(dir, BOOT_FILE), 'utf8')) as BootRecord;
	if ((record.active !== 0 && record.active !== 1) || !Array.isArray(record.lengths) || !(record.slotSize > 0)) {
		throw new Error(`corrupt boot record in ${dir}`);
	}
	return record;
}

function writeBootRecord(dir: string, record: BootRecord): void {
	writeFileAtomic(path.join(dir, BOOT_FILE), JSON.stringify(record));
}

/** The image the boot record points at, as the bootloader would load it. */
export function readActiveImage(dir: string): Buffer {
	const record = readBootRecord(dir);
	const image = fs.readFileSync(slotFile(dir, record.active));
	return image.subarray(0, record.lengths[record.active]);
}

export function createFileFlash(dir: string): FlashPort {
	return {
		openInactive(byteLength) {
			const record = readBootRecord(dir);
			if (!Number.isSafeInteger(byteLength) || byteLength <= 0) throw new RangeError(`invalid image length ${byteLength}`);
			if (byteLength > record.slotSize) {
				throw new RangeError(`image of ${byteLength} bytes does not fit the ${record.slotSize}-byte slot`);
			}
			const slot: SlotIndex = record.active === 0 ? 1 : 0;
			return new FileSlotWriter(dir, slot, record.slotSize, byteLength);
		},
	};
}

class FileSlotWriter implements SlotWriter {
	readonly label: string;
	readonly size: number;
	#dir: string;
	#slot: SlotIndex;
	#byteLength: number;
	#fd: number | undefined;

	constructor(dir: string, slot: SlotIndex, size: number, byteLength: number) {
		this.#dir = dir;
		this.#slot = slot;
		this.size = size;
		this.#byteLength = byteLength;
		this.label = `slot${slot}`;
		// Erase: the previous content of the inactive slot is gone from here on.
		this.#fd = fs.openSync(slotFile(dir, slot), 'w+');
	}

	write(bytes: ByteSource, offset: number): void {
		const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
		if (offset < 0 || offset + view.byteLength > this.#byteLength) {
			throw new RangeError(`write of ${view.byteLength} bytes at ${offset} is outside the ${this.#byteLength}-byte image`);
		}
		fs.writeSync(this.#open(), view, 0, view.byteLength, offset);
	}

	read(offset: number, byteLength: number): ArrayBuffer {
		const out = new Uint8Array(byteLength);
		const n = fs.readSync(this.#open(), out, 0, byteLength, offset);
		return out.buffer.slice(0, n);
	}

	activate(): void {
		const fd = this.#open();
		fs.fsyncSync(fd);
		const record = readBootRecord(this.#dir);
		const lengths: [number, number] = [...record.lengths];
		lengths[this.#slot] = this.#byteLength;
		writeBootRecord(this.#dir, { ...record, active: this.#slot, lengths });
	}

	close(): void {
		if (this.#fd === undefined) return;
		fs.closeSync(this.#fd);
		this.#fd = undefined;
	}

	#open(): number {
		if (this.#fd === undefined) throw new Error(`${this.label} is closed`);
		return this.#fd;
	}
}
