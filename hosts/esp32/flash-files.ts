/*
 * The desktop builds' flash folder on Moddable's file module: slot files that behave like NOR
 * flash (an erase sets a unit to 0xFF; a write can only clear bits, as on the chip, so a missing
 * erase shows up here as corrupt data rather than only on a device), and a boot record replaced
 * atomically (write a new file, then rename it over the old one).
 */
import { File, Directory } from 'file';
import type { FlashFiles } from './desktop-boot';
import type { Partition } from './partition-flash';

export function fileFlashFiles(folder: string): FlashFiles {
	Directory.create(folder);
	return {
		read(name) {
			const path = folder + name;
			if (!File.exists(path)) return undefined;
			const file = new File(path);
			try {
				return file.length ? file.read(String) : '';
			} finally {
				file.close();
			}
		},
		write(name, text) {
			const temporary = `${folder}${name}.new`;
			File.delete(temporary);
			const file = new File(temporary, true);
			try {
				file.write(text);
			} finally {
				file.close();
			}
			if (!File.rename(temporary, name)) throw new Error(`cannot replace ${folder}${name}`);
		},
		partition: (name, size, blockLength) => new FilePartition(folder + name, size, blockLength),
	};
}

class FilePartition implements Partition {
	readonly size: number;
	readonly blockLength: number;
	#file: File | undefined;
	#path: string;

	constructor(path: string, size: number, blockLength: number) {
		this.#path = path;
		this.size = size;
		this.blockLength = blockLength;
		const file = new File(path, true);
		this.#file = file;
		// A new (or shorter) slot file is erased flash up to the slot size.
		for (let at = file.length - (file.length % blockLength); at < size; at += blockLength) this.#fill(at, blockLength);
	}

	read(byteLength: number, byteOffset: number): ArrayBuffer {
		this.#check(byteOffset, byteLength);
		if (byteLength === 0) return new ArrayBuffer(0);
		const file = this.#open();
		file.position = byteOffset;
		return file.read(ArrayBuffer, byteLength);
	}

	write(bytes: Uint8Array, byteOffset: number): void {
		this.#check(byteOffset, bytes.byteLength);
		if (bytes.byteLength === 0) return;
		const current = new Uint8Array(this.read(bytes.byteLength, byteOffset));
		for (let i = 0; i < current.length; i++) current[i] &= bytes[i];
		const file = this.#open();
		file.position = byteOffset;
		file.write(current.buffer);
	}

	eraseBlock(block: number): void {
		this.#check(block * this.blockLength, this.blockLength);
		this.#fill(block * this.blockLength, this.blockLength);
	}

	close(): void {
		this.#file?.close();
		this.#file = undefined;
	}

	#fill(at: number, length: number): void {
		const file = this.#open();
		file.position = at;
		file.write(new Uint8Array(length).fill(0xff).buffer);
	}

	#check(offset: number, length: number): void {
		if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= this.size)) {
			throw new RangeError(`${this.#path}: ${length} bytes at ${offset} are outside the ${this.size}-byte slot`);
		}
	}

	#open(): File {
		if (!this.#file) throw new Error(`${this.#path} is closed`);
		return this.#file;
	}
}
