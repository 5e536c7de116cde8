/*
 * Simulated firmware images. A real ESP32 app image starts with the magic byte 0xE9, carries its
 * version in a descriptor and ends with a SHA-256 the bootloader checks; ours does the same in a
 * form the simulated bootloader can read:
 *
 *   0       0xE9
 *   1..7    "UPDRAFT"
 *   8..11   header length N (uint32, little-endian)
 *   12..    N bytes of JSON: {product, version, length, behaviour?}   (length = the whole image)
 *   then    payload, pseudo-random but fixed by (product, version)
 *   last 32 SHA-256 of every byte before it
 *
 * A slot whose bytes do not parse, or whose hash does not match (a torn or corrupt write), cannot
 * boot.
 */
import { createHash } from 'node:crypto';

export const IMAGE_MAGIC = 0xe9;
const HASH = 32;
const TAG = 'UPDRAFT';
const PREFIX = 12;
const MAX_HEADER = 4096;

/**
 * What the simulated firmware does once it boots, to rehearse failures: crash at every boot,
 * fail its self-test, or never finish it (so the trial deadline passes).
 */
export type FirmwareBehaviour = 'normal' | 'crash-on-boot' | 'fail-selftest' | 'hang-selftest';
export const BEHAVIOURS: readonly FirmwareBehaviour[] = ['normal', 'crash-on-boot', 'fail-selftest', 'hang-selftest'];

export interface ImageHeader {
	product: string;
	version: string;
	behaviour?: FirmwareBehaviour;
}

export function makeImage(header: ImageHeader, size = 64 * 1024): Buffer {
	const fields: Record<string, unknown> = { product: header.product, version: header.version, length: size };
	if (header.behaviour && header.behaviour !== 'normal') fields.behaviour = header.behaviour;
	const json = Buffer.from(JSON.stringify(fields));
	if (json.length > MAX_HEADER) throw new RangeError('image header too large');
	if (!Number.isSafeInteger(size) || size < PREFIX + json.length + HASH) {
		throw new RangeError(`image size must be at least ${PREFIX + json.length + HASH} bytes`);
	}
	const image = Buffer.alloc(size);
	image[0] = IMAGE_MAGIC;
	image.write(TAG, 1, 'latin1');
	image.writeUInt32LE(json.length, 8);
	json.copy(image, PREFIX);
	fillPayload(image.subarray(PREFIX + json.length, size - HASH), seedOf(`${header.product}@${header.version}`));
	createHash('sha256').update(image.subarray(0, size - HASH)).digest().copy(image, size - HASH);
	return image;
}

/**
 * What the simulated bootloader checks before it runs a slot: the header parses, the image fits
 * the slot and its trailing SHA-256 matches. `read` reads the slot. Returns the header and the
 * image length, or undefined when the slot holds no bootable image.
 */
export function validateImage(read: (offset: number, length: number) => Uint8Array, slotSize: number): (ImageHeader & { length: number }) | undefined {
	if (slotSize < PREFIX) return undefined;
	const prefix = Buffer.from(read(0, PREFIX));
	if (prefix[0] !== IMAGE_MAGIC || prefix.toString('latin1', 1, 8) !== TAG) return undefined;
	const n = prefix.readUInt32LE(8);
	if (n > MAX_HEADER || PREFIX + n > slotSize) return undefined;
	let header: ImageHeader & { length: number };
	try {
		header = JSON.parse(Buffer.from(read(PREFIX, n)).toString('utf8'));
	} catch {
		return undefined;
	}
	const length = header?.length;
	if (typeof header?.product !== 'string' || typeof header.version !== 'string' || !Number.isSafeInteger(length) || length > slotSize || length < PREFIX + n + HASH) return undefined;
	const hash = createHash('sha256');
	const step = 64 * 1024;
	for (let at = 0; at < length - HASH; at += step) hash.update(read(at, Math.min(step, length - HASH - at)));
	if (!hash.digest().equals(Buffer.from(read(length - HASH, HASH)))) return undefined;
	const image: ImageHeader & { length: number } = { product: header.product, version: header.version, length };
	if (BEHAVIOURS.includes(header.behaviour as FirmwareBehaviour)) image.behaviour = header.behaviour;
	return image;
}

function seedOf(text: string): number {
	let h = 2166136261;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
	return h >>> 0 || 1;
}

/** xorshift32 fill: fast enough for 64 MiB images and the same bytes for the same seed. */
function fillPayload(target: Buffer, seed: number): void {
	let x = seed;
	const words = Math.floor(target.length / 4);
	const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
	for (let i = 0; i < words; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		view.setUint32(i * 4, x >>> 0, true);
	}
	for (let i = words * 4; i < target.length; i++) target[i] = i & 0xff;
}
