/*
 * Byte helpers in plain ES2022: UTF-8 and ASCII codecs, hex, concatenation.
 *
 * TextEncoder/TextDecoder are not assumed: xsnap has them, Moddable device builds may not. The
 * UTF-8 decoder follows the WHATWG Encoding Standard (what TextDecoder and Node's Buffer do):
 * each maximal invalid subpart becomes one U+FFFD, and a byte order mark is kept, not stripped.
 */
import type { ByteSource } from './ports';

const REPLACEMENT = 0xfffd;
/**
 * Code units per String.fromCharCode.apply call. Every argument takes a slot of the XS stack,
 * and XS aborts (the device resets) instead of throwing when it overflows: xsnap has 4096 slots,
 * device builds fewer. The short strings are joined once at the end, so the cost stays linear.
 */
const FLUSH_UNITS = 64;

/** A Uint8Array over the bytes of `source`, without copying. */
export function toBytes(source: ByteSource): Uint8Array {
	if (source instanceof Uint8Array) return source;
	if (source instanceof ArrayBuffer) return new Uint8Array(source);
	throw new TypeError(`expected a Uint8Array or an ArrayBuffer, got ${describeType(source)}`);
}

/** UTF-8 bytes of `text`; a lone surrogate is encoded as U+FFFD, as TextEncoder does. */
export function utf8Encode(text: string): Uint8Array {
	if (typeof text !== 'string') throw new TypeError(`utf8Encode: expected a string, got ${describeType(text)}`);
	const out = new Uint8Array(utf8Length(text));
	let at = 0;
	for (let i = 0; i < text.length; i++) {
		let code = text.charCodeAt(i);
		if (code < 0x80) {
			out[at++] = code;
			continue;
		}
		if (code < 0x800) {
			out[at++] = 0xc0 | (code >> 6);
			out[at++] = 0x80 | (code & 0x3f);
			continue;
		}
		if (code >= 0xd800 && code <= 0xdfff) {
			const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
			if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
				code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
				i++;
				out[at++] = 0xf0 | (code >> 18);
				out[at++] = 0x80 | ((code >> 12) & 0x3f);
				out[at++] = 0x80 | ((code >> 6) & 0x3f);
				out[at++] = 0x80 | (code & 0x3f);
				continue;
			}
			code = REPLACEMENT;
		}
		out[at++] = 0xe0 | (code >> 12);
		out[at++] = 0x80 | ((code >> 6) & 0x3f);
		out[at++] = 0x80 | (code & 0x3f);
	}
	return out;
}

/** Bytes utf8Encode(text) produces. */
function utf8Length(text: string): number {
	let length = 0;
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code < 0x80) length += 1;
		else if (code < 0x800) length += 2;
		else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
			const next = text.charCodeAt(i + 1);
			if (next >= 0xdc00 && next <= 0xdfff) {
				length += 4;
				i++;
			} else length += 3;
		} else length += 3;
	}
	return length;
}

/** The text of UTF-8 `bytes`; invalid sequences decode to U+FFFD. */
export function utf8Decode(bytes: Uint8Array): string {
	if (!(bytes instanceof Uint8Array)) throw new TypeError(`utf8Decode: expected a Uint8Array, got ${describeType(bytes)}`);
	const units: number[] = [];
	const pieces: string[] = [];
	const n = bytes.length;
	let i = 0;
	while (i < n) {
		if (units.length >= FLUSH_UNITS) {
			pieces.push(String.fromCharCode.apply(null, units));
			units.length = 0;
		}
		const lead = bytes[i];
		if (lead < 0x80) {
			units.push(lead);
			i++;
			continue;
		}
		// Continuation bytes are 0x80..0xBF, narrowed for the second byte so that overlong forms,
		// surrogates (ED A0..) and code points past U+10FFFF are refused at the earliest byte.
		let need: number;
		let code: number;
		let lower = 0x80;
		let upper = 0xbf;
		if (lead >= 0xc2 && lead <= 0xdf) {
			need = 1;
			code = lead & 0x1f;
		} else if (lead >= 0xe0 && lead <= 0xef) {
			need = 2;
			code = lead & 0x0f;
			if (lead === 0xe0) lower = 0xa0;
			else if (lead === 0xed) upper = 0x9f;
		} else if (lead >= 0xf0 && lead <= 0xf4) {
			need = 3;
			code = lead & 0x07;
			if (lead === 0xf0) lower = 0x90;
			else if (lead === 0xf4) upper = 0x8f;
		} else {
			units.push(REPLACEMENT);
			i++;
			continue;
		}
		let j = i + 1;
		let complete = true;
		for (let k = 0; k < need; k++, j++) {
			const byte = j < n ? bytes[j] : -1;
			if (byte < lower || byte > upper) {
				complete = false;
				break;
			}
			lower = 0x80;
			upper = 0xbf;
			code = (code << 6) | (byte & 0x3f);
		}
		// An incomplete sequence is one U+FFFD; the byte that broke it is decoded afresh.
		i = j;
		if (!complete) units.push(REPLACEMENT);
		else if (code < 0x10000) units.push(code);
		else {
			code -= 0x10000;
			units.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
		}
	}
	pieces.push(String.fromCharCode.apply(null, units));
	return pieces.join('');
}

/** Bytes of an ASCII string; throws on any character above U+007F. */
export function asciiEncode(text: string): Uint8Array {
	const out = new Uint8Array(text.length);
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code > 0x7f) throw new RangeError(`not ASCII: character U+${code.toString(16).toUpperCase().padStart(4, '0')} at ${i}`);
		out[i] = code;
	}
	return out;
}

/** Each byte as the character with the same code (ISO-8859-1), as HTTP heads are read. */
export function latin1Decode(bytes: Uint8Array): string {
	const pieces: string[] = [];
	for (let start = 0; start < bytes.length; start += FLUSH_UNITS) {
		pieces.push(String.fromCharCode.apply(null, bytes.subarray(start, start + FLUSH_UNITS) as unknown as number[]));
	}
	return pieces.join('');
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16));

/** Lowercase hex of the bytes, two digits each. */
export function toHex(source: ByteSource): string {
	const bytes = toBytes(source);
	let text = '';
	for (let i = 0; i < bytes.length; i++) text += HEX[bytes[i]];
	return text;
}

/** One new array holding `parts` one after the other. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
	let length = 0;
	for (const part of parts) length += part.length;
	const out = new Uint8Array(length);
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.length;
	}
	return out;
}

function describeType(value: unknown): string {
	if (value === null) return 'null';
	if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
	return typeof value;
}
