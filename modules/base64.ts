/*
 * Base64 (RFC 4648, standard alphabet, padding optional on input) without atob/btoa, which XS
 * devices lack. Used for signatures and keys in check-in answers and configuration.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function base64Encode(bytes: Uint8Array): string {
	let out = '';
	for (let i = 0; i < bytes.length; i += 3) {
		const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
		out += ALPHABET[(n >> 18) & 63] + ALPHABET[(n >> 12) & 63];
		out += i + 1 < bytes.length ? ALPHABET[(n >> 6) & 63] : '=';
		out += i + 2 < bytes.length ? ALPHABET[n & 63] : '=';
	}
	return out;
}

/** Decode; throws RangeError on any character outside the alphabet or a bad length. */
export function base64Decode(text: string): Uint8Array {
	if (typeof text !== 'string') throw new TypeError('base64 text must be a string');
	const clean = text.replace(/=+$/, '');
	if (clean.length % 4 === 1) throw new RangeError('base64 text has a bad length');
	const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
	let bits = 0;
	let value = 0;
	let at = 0;
	for (let i = 0; i < clean.length; i++) {
		const code = clean.charCodeAt(i);
		const v = code < 128 ? LOOKUP[code] : -1;
		if (v < 0) throw new RangeError(`base64 text has a bad character at ${i}`);
		value = (value << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[at++] = (value >> bits) & 0xff;
		}
	}
	return out;
}
