/*
 * How the agent's store keys and values fit Moddable's preference module on ESP32 (NVS): names of
 * at most 15 characters, strings of at most 4000 bytes including the terminating NUL.
 *
 * Each logical key owns two record slots, 'a' and 'b' (see preference-store.ts), and each record
 * is one or more chunks, so a physical key is  base + slot + chunk index:
 *   base   the key itself when it has at most 12 characters and no '#'; otherwise its first four
 *          characters, '#', and a 7-character hash of the whole key (so bases of the two kinds
 *          never meet, and a hash collision is detected by the key stored in every record)
 *   slot   'a' or 'b'
 *   index  '0'..'9', 'a'..'z' (base 36)
 */

export const MAX_KEY_LENGTH = 15;
export const MAX_VALUE_BYTES = 4000;
/** UTF-8 bytes of value per chunk: small NVS strings pack into flash pages far better than big ones. */
export const CHUNK_BYTES = 1536;
export const MAX_CHUNKS = 36;
const MAX_PLAIN_BASE = 12;

export type SlotName = 'a' | 'b';

export function checkKey(key: unknown): asserts key is string {
	if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
		throw new RangeError(`store key must be a string of 1 to ${MAX_KEY_LENGTH} characters, not ${JSON.stringify(key)}`);
	}
}

/** The part of every physical key that names the logical key (at most 12 characters). */
export function baseOf(key: string): string {
	checkKey(key);
	if (key.length <= MAX_PLAIN_BASE && !key.includes('#')) return key;
	return `${key.slice(0, 4)}#${fnv1a(key).toString(36).padStart(7, '0')}`;
}

export function physicalKey(base: string, slot: SlotName, index: number): string {
	if (!Number.isInteger(index) || index < 0 || index >= MAX_CHUNKS) throw new RangeError(`chunk index ${index} is outside 0-${MAX_CHUNKS - 1}`);
	return `${base}${slot}${index.toString(36)}`;
}

/** 32-bit FNV-1a over the UTF-16 code units. */
function fnv1a(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

/**
 * Bytes `text` takes as the engine hands it to NVS: UTF-8, except that XS writes U+0000 as the
 * two bytes C0 80 so that C strings can carry it.
 */
export function storedSize(text: string): number {
	let size = 0;
	for (let i = 0; i < text.length; i++) size += unitSize(text, i, () => i++);
	return size;
}

function unitSize(text: string, i: number, skipPair: () => void): number {
	const c = text.charCodeAt(i);
	if (c === 0) return 2;
	if (c < 0x80) return 1;
	if (c < 0x800) return 2;
	if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
		const d = text.charCodeAt(i + 1);
		if (d >= 0xdc00 && d <= 0xdfff) {
			skipPair();
			return 4;
		}
	}
	return 3;
}

/** Cut `text` into pieces of at most `budget` stored bytes, never inside a surrogate pair. */
export function splitChunks(text: string, budget = CHUNK_BYTES): string[] {
	if (!(Number.isInteger(budget) && budget >= 4)) throw new RangeError(`chunk budget must be an integer of at least 4 bytes, not ${budget}`);
	const chunks: string[] = [];
	let start = 0;
	let size = 0;
	for (let i = 0; i < text.length; i++) {
		let width = 1;
		const bytes = unitSize(text, i, () => (width = 2));
		if (size + bytes > budget) {
			chunks.push(text.slice(start, i));
			start = i;
			size = 0;
		}
		size += bytes;
		i += width - 1;
	}
	chunks.push(text.slice(start));
	return chunks;
}
