/*
 * The agent's FlashPort over a raw app partition: the inactive OTA slot opened as flash storage
 * (ECMA-419 embedded:storage/flash "nextota" on ESP32, a file on the desktop), plus the platform's
 * boot control (ESP-IDF's app_update through FFI, or the simulated boot record).
 *
 * Why raw flash and not embedded:update or the legacy ota module: both start with esp_ota_begin,
 * which erases the image's area (or the whole slot) on every open, so bytes written before a
 * restart could never be kept and a download could only ever start again from byte 0. Written
 * through the partition, a slot keeps what the agent asks it to keep:
 * - nothing is erased on open; each erase unit is erased by the first write into it since the
 *   slot was opened, and units below `keep` are never written, so a resumed download keeps them;
 * - writes go to flash in multiples of `align` bytes (16: encrypted flash takes nothing smaller),
 *   the last few bytes waiting in RAM until the next write, a read, close() or activate();
 * - activation asks the platform to boot the slot (esp_ota_set_boot_partition, which checks the
 *   image as esp_ota_end would), and a slot is never written while the running firmware is on
 *   trial, since that slot is what a rollback returns to (esp_ota_begin refuses it the same way).
 */
import type { ByteSource, FlashPort, RunningState, SlotWriter } from '../../modules/ports';

/** An app partition opened for reading and writing, in the shape of embedded:storage/flash. */
export interface Partition {
	readonly size: number;
	/** Erase unit in bytes. */
	readonly blockLength: number;
	read(byteLength: number, byteOffset: number): ArrayBuffer;
	/** Program bytes; the flash must have been erased there (NOR: bits only go from 1 to 0). */
	write(bytes: Uint8Array, byteOffset: number): void;
	/** Erase one unit (bytes block * blockLength up to the next unit). */
	eraseBlock(block: number): void;
	close(): void;
}

/** The platform's control of which slot boots. */
export interface BootControl {
	/** Name of the inactive slot, for logs ("ota_1", "slot1"). */
	inactiveLabel(): string;
	/** Open the inactive slot's partition for writing. */
	openInactive(): Partition;
	/** Boot the inactive slot next; throws when its image is not bootable. */
	activate(byteLength: number): void;
	runningState(): RunningState;
	confirm(): void;
	rollback(): void;
	/** Called before the first erase of a session: the slot no longer holds a bootable image. */
	invalidateInactive?(): void;
}

export interface PartitionFlashOptions {
	/** Flash write unit; default 16. */
	align?: number;
}

export function createPartitionFlash(control: BootControl, options: PartitionFlashOptions = {}): FlashPort {
	const align = options.align ?? 16;
	if (!(Number.isInteger(align) && align >= 1 && align <= 4096 && (align & (align - 1)) === 0)) {
		throw new RangeError(`align must be a power of two from 1 to 4096, not ${align}`);
	}
	/** After an activation or a rollback, the other slot boots next: nothing more to write this run. */
	let switched: string | undefined;
	return {
		openInactive(byteLength, keep = 0) {
			if (switched) throw new Error(`the boot slot was switched (${switched}): restart before writing a slot again`);
			if (!Number.isSafeInteger(byteLength) || byteLength <= 0) throw new RangeError(`image length must be a positive integer, not ${byteLength}`);
			if (control.runningState() === 'trial') {
				throw new Error('the running firmware is on trial: confirm() or rollback() before writing the other slot, the one a rollback returns to');
			}
			const partition = control.openInactive();
			const label = control.inactiveLabel();
			try {
				if (byteLength > partition.size) throw new RangeError(`image of ${byteLength} bytes does not fit the ${partition.size}-byte ${label}`);
				if (!Number.isSafeInteger(keep) || keep < 0 || keep % partition.blockLength !== 0) {
					throw new RangeError(`keep must be a multiple of the ${partition.blockLength}-byte erase unit, not ${keep}`);
				}
				if (keep > byteLength) throw new RangeError(`keep (${keep}) is past the end of the ${byteLength}-byte image`);
			} catch (error) {
				partition.close();
				throw error;
			}
			return new PartitionSlotWriter({
				label, partition, byteLength, keep, align,
				activate: () => {
					control.activate(byteLength);
					switched = `${label} activated`;
				},
				invalidate: () => control.invalidateInactive?.(),
			});
		},
		runningState: () => control.runningState(),
		confirm() {
			if (switched) throw new Error(`cannot confirm: ${switched}`);
			if (control.runningState() === 'confirmed') return;
			control.confirm();
		},
		rollback() {
			if (switched) throw new Error(`cannot roll back: ${switched}`);
			control.rollback();
			switched = 'rolled back';
		},
	};
}

interface WriterOptions {
	label: string;
	partition: Partition;
	byteLength: number;
	keep: number;
	align: number;
	activate(): void;
	invalidate(): void;
}

export class PartitionSlotWriter implements SlotWriter {
	readonly label: string;
	readonly size: number;
	readonly eraseSize: number;
	#o: WriterOptions;
	#partition: Partition | undefined;
	/** Units erased since the slot was opened. */
	#erased = new Set<number>();
	/** Where the next write continues; bytes in [#end - #tail.length, #end) wait in #tail. */
	#end: number;
	#tail = new Uint8Array(0);
	#invalidated = false;
	#activated = false;

	constructor(options: WriterOptions) {
		this.#o = options;
		this.#partition = options.partition;
		this.label = options.label;
		this.size = options.partition.size;
		this.eraseSize = options.partition.blockLength;
		this.#end = options.keep;
	}

	write(source: ByteSource, offset: number): void {
		const partition = this.#open('write to');
		if (this.#activated) throw new Error(`${this.label} is activated: it cannot be written any more`);
		const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
		if (!(bytes instanceof Uint8Array)) throw new TypeError(`${this.label}: write takes a Uint8Array or an ArrayBuffer`);
		const { byteLength, keep, align } = this.#o;
		if (!Number.isSafeInteger(offset) || offset < 0 || offset + bytes.byteLength > byteLength) {
			throw new RangeError(`${this.label}: write of ${bytes.byteLength} bytes at ${offset} is outside the ${byteLength}-byte image`);
		}
		if (offset < keep) throw new RangeError(`${this.label}: write at ${offset} falls in the ${keep} bytes kept from before`);
		if (offset !== this.#end) {
			if (offset % this.eraseSize !== 0 || offset > this.#end) {
				throw new RangeError(`${this.label}: write at ${offset} neither continues the image (next byte ${this.#end}) nor starts it again at an erase unit at or before that`);
			}
			// Starting over from an earlier unit: those units are erased again on their next write.
			this.#tail = new Uint8Array(0);
			for (const unit of [...this.#erased]) if (unit >= offset / this.eraseSize) this.#erased.delete(unit);
			this.#end = offset;
		}
		if (bytes.byteLength === 0) return;
		const start = this.#end - this.#tail.byteLength;
		const joined = this.#tail.byteLength ? concat(this.#tail, bytes) : bytes;
		const ready = joined.byteLength - (joined.byteLength % align);
		if (ready > 0) this.#program(partition, joined.subarray(0, ready), start);
		this.#tail = joined.slice(ready);
		this.#end = offset + bytes.byteLength;
	}

	read(offset: number, byteLength: number): ArrayBuffer {
		const partition = this.#open('read from');
		if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(byteLength) || offset < 0 || byteLength < 0 || offset + byteLength > this.size) {
			throw new RangeError(`${this.label}: read of ${byteLength} bytes at ${offset} is outside the ${this.size}-byte slot`);
		}
		const out = new Uint8Array(partition.read(byteLength, offset));
		// Bytes still waiting in RAM are part of the image too.
		const tailStart = this.#end - this.#tail.byteLength;
		for (let i = Math.max(offset, tailStart); i < Math.min(offset + byteLength, this.#end); i++) out[i - offset] = this.#tail[i - tailStart];
		return out.buffer;
	}

	activate(): void {
		const partition = this.#open('activate');
		this.#flushTail(partition);
		this.#o.activate();
		this.#activated = true;
	}

	close(): void {
		const partition = this.#partition;
		if (!partition) return;
		try {
			this.#flushTail(partition);
		} finally {
			this.#partition = undefined;
			partition.close();
		}
	}

	/** Write the waiting bytes, padded with the erased value to the write unit. */
	#flushTail(partition: Partition): void {
		if (this.#tail.byteLength === 0) return;
		const start = this.#end - this.#tail.byteLength;
		const padded = new Uint8Array(Math.min(this.#o.align, this.size - start)).fill(0xff);
		padded.set(this.#tail);
		this.#program(partition, padded, start);
		this.#tail = new Uint8Array(0);
	}

	#program(partition: Partition, bytes: Uint8Array, offset: number): void {
		const unit = this.eraseSize;
		for (let block = Math.floor(offset / unit); block <= Math.floor((offset + bytes.byteLength - 1) / unit); block++) {
			if (this.#erased.has(block)) continue;
			if (!this.#invalidated) {
				this.#o.invalidate();
				this.#invalidated = true;
			}
			partition.eraseBlock(block);
			this.#erased.add(block);
		}
		partition.write(bytes, offset);
	}

	#open(what: string): Partition {
		if (!this.#partition) throw new Error(`cannot ${what} ${this.label}: it is closed`);
		return this.#partition;
	}
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
	const out = new Uint8Array(a.byteLength + b.byteLength);
	out.set(a);
	out.set(b, a.byteLength);
	return out;
}
