/*
 * The header of a simulated firmware image, the only kind of image a desktop build can "boot":
 *
 *   0       0xE9 (the ESP32 app image magic byte)
 *   1..7    "UPDRAFT"
 *   8..11   header length N (uint32, little-endian)
 *   12..    N bytes of UTF-8 JSON: {product, version}
 *
 * (Written by the simulator's `updraft image create`.) On the desktop, booting a slot means
 * running as the version its image names.
 */
export interface SimImageHeader {
	product: string;
	version: string;
}

export const SIM_IMAGE_MAGIC = 0xe9;
const TAG = 'UPDRAFT';
export const SIM_HEADER_PREFIX = 12;
export const MAX_SIM_HEADER = 4096;

/** Bytes a caller must read from the start of a slot to find the header: prefix, then JSON. */
export function simHeaderLength(prefix: Uint8Array): number | undefined {
	if (prefix.byteLength < SIM_HEADER_PREFIX || prefix[0] !== SIM_IMAGE_MAGIC) return undefined;
	for (let i = 0; i < TAG.length; i++) if (prefix[1 + i] !== TAG.charCodeAt(i)) return undefined;
	const n = prefix[8] | (prefix[9] << 8) | (prefix[10] << 16) | (prefix[11] << 24);
	return n > 0 && n <= MAX_SIM_HEADER ? SIM_HEADER_PREFIX + n : undefined;
}

/** The header of an image, or undefined when the bytes are not a bootable simulated image. */
export function readSimHeader(bytes: Uint8Array): SimImageHeader | undefined {
	const length = simHeaderLength(bytes);
	if (length === undefined || bytes.byteLength < length) return undefined;
	try {
		const header = JSON.parse(utf8(bytes.subarray(SIM_HEADER_PREFIX, length))) as Partial<SimImageHeader> | null;
		if (header && typeof header.product === 'string' && typeof header.version === 'string' && header.version.length > 0) {
			return { product: header.product, version: header.version };
		}
	} catch {
		// not UTF-8 or not JSON: not an image
	}
	return undefined;
}

/** UTF-8 decoding through decodeURIComponent, which XS and Node both have (and which refuses bad UTF-8). */
function utf8(bytes: Uint8Array): string {
	let escaped = '';
	for (let i = 0; i < bytes.byteLength; i++) escaped += `%${bytes[i] < 16 ? '0' : ''}${bytes[i].toString(16)}`;
	return decodeURIComponent(escaped);
}
