/*
 * The bytes under a flash region, with no flash rules: NorFlash (nor-flash.ts) puts erase and
 * bit-clearing writes on top. Unwritten bytes read as 0xFF, as erased NOR flash does, so a medium
 * only has to hold what was written: a 16 MiB slot holding a 64 KiB image costs about 64 KiB,
 * on disk (fileMedium) or in memory (memoryMedium, for fleets of simulated devices).
 */
import * as fs from 'node:fs';

export interface FlashMedium {
	readonly size: number;
	read(offset: number, length: number): Uint8Array;
	/** Replace bytes as they are (no NOR rules). */
	store(offset: number, bytes: Uint8Array): void;
}

export const ERASED = 0xff;

function checkSize(size: number): void {
	if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`flash medium size must be a positive integer, not ${size}`);
}

function checkRange(size: number, offset: number, length: number, what: string): void {
	if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
		throw new RangeError(`${what} of ${length} bytes at ${offset} is outside the ${size}-byte medium`);
	}
}

/** Index just past the last byte of `bytes` that is not 0xFF (0 when all are erased). */
function endOfData(bytes: Uint8Array): number {
	let end = bytes.length;
	while (end > 0 && bytes[end - 1] === ERASED) end--;
	return end;
}

/**
 * A medium kept in a file. Bytes past the end of the file read as 0xFF and the file grows only
 * when something other than 0xFF is stored past its end, so erasing never-written flash costs no
 * disk (a store far past the end fills the gap with 0xFF). Each call opens the file, so nothing needs closing and any number of devices can share a
 * process.
 */
export function fileMedium(path: string, size: number): FlashMedium {
	checkSize(size);
	let length: number;
	try {
		length = fs.statSync(path).size;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		fs.writeFileSync(path, new Uint8Array(0), { flag: 'wx' });
		length = 0;
	}
	if (length > size) throw new Error(`flash file ${path} holds ${length} bytes, more than its ${size}-byte region`);
	return {
		size,
		read(offset, count) {
			checkRange(size, offset, count, 'read');
			const out = new Uint8Array(count).fill(ERASED);
			const fd = fs.openSync(path, 'r');
			try {
				let done = 0;
				while (done < count) {
					const n = fs.readSync(fd, out, done, count - done, offset + done);
					if (n === 0) break;
					done += n;
				}
			} finally {
				fs.closeSync(fd);
			}
			return out;
		},
		store(offset, bytes) {
			checkRange(size, offset, bytes.length, 'store');
			const fd = fs.openSync(path, 'r+');
			try {
				const fileLength = fs.fstatSync(fd).size;
				// Trailing 0xFF past the end of the file already reads back as 0xFF: leave it unwritten.
				const keep = Math.max(Math.min(bytes.length, fileLength - offset), endOfData(bytes));
				if (keep === 0) return;
				// A hole in a file reads as zeros, not as erased flash: fill any gap before `offset`.
				for (let at = fileLength; at < offset;) at += fs.writeSync(fd, erasedBlock(offset - at), 0, undefined, at);
				let done = 0;
				while (done < keep) done += fs.writeSync(fd, bytes, done, keep - done, offset + done);
			} finally {
				fs.closeSync(fd);
			}
		},
	};
}

const GAP_BLOCK = new Uint8Array(64 * 1024).fill(ERASED);

function erasedBlock(length: number): Uint8Array {
	return length >= GAP_BLOCK.length ? GAP_BLOCK : GAP_BLOCK.subarray(0, length);
}

const CHUNK = 4096;

/** A sparse medium in memory: chunks that were never written (or were erased whole) hold nothing. */
export function memoryMedium(size: number): FlashMedium & { readonly allocatedBytes: number } {
	checkSize(size);
	const chunks = new Map<number, Uint8Array>();
	return {
		size,
		get allocatedBytes() {
			return chunks.size * CHUNK;
		},
		read(offset, count) {
			checkRange(size, offset, count, 'read');
			const out = new Uint8Array(count).fill(ERASED);
			for (let at = offset; at < offset + count;) {
				const index = Math.floor(at / CHUNK);
				const start = at - index * CHUNK;
				const n = Math.min(CHUNK - start, offset + count - at);
				const chunk = chunks.get(index);
				if (chunk) out.set(chunk.subarray(start, start + n), at - offset);
				at += n;
			}
			return out;
		},
		store(offset, bytes) {
			checkRange(size, offset, bytes.length, 'store');
			for (let at = offset; at < offset + bytes.length;) {
				const index = Math.floor(at / CHUNK);
				const start = at - index * CHUNK;
				const n = Math.min(CHUNK - start, offset + bytes.length - at);
				const part = bytes.subarray(at - offset, at - offset + n);
				const erased = endOfData(part) === 0;
				let chunk = chunks.get(index);
				if (erased && (!chunk || n === CHUNK)) {
					chunks.delete(index);
				} else {
					if (!chunk) {
						chunk = new Uint8Array(CHUNK).fill(ERASED);
						chunks.set(index, chunk);
					}
					chunk.set(part, start);
				}
				at += n;
			}
		},
	};
}
