/*
 * A minimal ASN.1 DER encoder (and a small reader), just enough to build X.509 certificates
 * without the openssl CLI or npm packages. Every encoder returns one complete element (tag,
 * length, contents), so elements nest by passing them to `sequence`, `set` or `explicit`.
 *
 * Only low tag numbers (0..30) are supported: X.509 never needs the multi-byte tag form.
 */

/** Universal tag bytes used below. */
export const TAG = {
	BOOLEAN: 0x01,
	INTEGER: 0x02,
	BIT_STRING: 0x03,
	OCTET_STRING: 0x04,
	NULL: 0x05,
	OID: 0x06,
	UTF8_STRING: 0x0c,
	PRINTABLE_STRING: 0x13,
	IA5_STRING: 0x16,
	UTC_TIME: 0x17,
	GENERALIZED_TIME: 0x18,
	SEQUENCE: 0x30,
	SET: 0x31,
} as const;

const CONSTRUCTED = 0x20;
const CONTEXT_SPECIFIC = 0x80;

/** The length octets: short form below 128, otherwise 0x80|n followed by n big-endian bytes. */
export function encodeLength(length: number): Buffer {
	if (!Number.isSafeInteger(length) || length < 0) throw new Error(`DER length must be a non-negative integer, got ${length}`);
	if (length < 0x80) return Buffer.from([length]);
	const bytes: number[] = [];
	for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
	return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One element from its tag byte and contents. */
export function tlv(tag: number, contents: Uint8Array): Buffer {
	if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
		throw new Error(`DER tag must be a single byte with a tag number below 31, got ${tag}`);
	}
	return Buffer.concat([Buffer.from([tag]), encodeLength(contents.length), contents]);
}

export function sequence(...elements: Uint8Array[]): Buffer {
	return tlv(TAG.SEQUENCE, Buffer.concat(elements));
}

/** A SET OF: DER orders the encoded elements by their bytes. */
export function set(...elements: Uint8Array[]): Buffer {
	const sorted = elements.map((element) => Buffer.from(element)).sort(Buffer.compare);
	return tlv(TAG.SET, Buffer.concat(sorted));
}

export function boolean(value: boolean): Buffer {
	return tlv(TAG.BOOLEAN, Buffer.from([value ? 0xff : 0x00]));
}

export function nullValue(): Buffer {
	return tlv(TAG.NULL, Buffer.alloc(0));
}

/**
 * An INTEGER. A bigint or number is encoded as minimal two's complement (negatives allowed);
 * bytes are read as an unsigned big-endian magnitude, so a leading 0x00 is added when the top bit
 * is set (otherwise the value would read back as negative) and redundant leading zeros dropped.
 */
export function integer(value: bigint | number | Uint8Array): Buffer {
	if (value instanceof Uint8Array) return tlv(TAG.INTEGER, unsignedIntegerContents(value));
	if (typeof value === 'number') {
		if (!Number.isSafeInteger(value)) throw new Error(`DER INTEGER from a number must be a safe integer, got ${value}`);
		value = BigInt(value);
	}
	if (typeof value !== 'bigint') throw new Error(`DER INTEGER needs a bigint, number or bytes, got ${typeof value}`);
	return tlv(TAG.INTEGER, signedIntegerContents(value));
}

function unsignedIntegerContents(bytes: Uint8Array): Buffer {
	let start = 0;
	while (start < bytes.length - 1 && bytes[start] === 0) start++;
	const magnitude = Buffer.from(bytes.subarray(start));
	if (magnitude.length === 0) return Buffer.from([0]);
	return magnitude[0] & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude;
}

function signedIntegerContents(value: bigint): Buffer {
	// The fewest bytes whose two's complement range holds the value.
	let length = 1;
	while (value < -(1n << BigInt(8 * length - 1)) || value >= 1n << BigInt(8 * length - 1)) length++;
	let rest = value < 0n ? (1n << BigInt(8 * length)) + value : value;
	const bytes = Buffer.alloc(length);
	for (let index = length - 1; index >= 0; index--) {
		bytes[index] = Number(rest & 0xffn);
		rest >>= 8n;
	}
	return bytes;
}

/** An OBJECT IDENTIFIER from dotted text such as '1.2.840.113549.1.1.11'. */
export function oid(dotted: string): Buffer {
	if (typeof dotted !== 'string' || !/^[0-9]+(\.[0-9]+)+$/.test(dotted)) {
		throw new Error(`OID must be dotted decimal with at least two arcs, got ${JSON.stringify(dotted)}`);
	}
	const arcs = dotted.split('.').map((arc) => BigInt(arc));
	const [first, second] = arcs as [bigint, bigint];
	if (first > 2n) throw new Error(`OID ${dotted}: the first arc must be 0, 1 or 2`);
	if (first < 2n && second >= 40n) throw new Error(`OID ${dotted}: the second arc must be below 40 when the first is ${first}`);
	const bytes: number[] = [];
	for (const arc of [first * 40n + second, ...arcs.slice(2)]) bytes.push(...base128(arc));
	return tlv(TAG.OID, Buffer.from(bytes));
}

/** Big-endian base 128, the continuation bit set on all but the last byte. */
function base128(value: bigint): number[] {
	const bytes = [Number(value & 0x7fn)];
	for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes.unshift(Number(rest & 0x7fn) | 0x80);
	return bytes;
}

/** A BIT STRING of whole bytes, or with `unusedBits` (0..7) trailing bits of the last byte unused. */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
	if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
		throw new Error(`BIT STRING unused bits must be 0..7, got ${unusedBits}`);
	}
	if (bytes.length === 0 && unusedBits !== 0) throw new Error('an empty BIT STRING cannot have unused bits');
	if (unusedBits > 0 && (bytes[bytes.length - 1] & ((1 << unusedBits) - 1)) !== 0) {
		throw new Error('BIT STRING unused bits must be zero in DER');
	}
	return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * A BIT STRING holding a set of named bits (bit 0 is the most significant bit of the first byte),
 * as in keyUsage. DER drops trailing zero bits, so the length depends on the highest bit set.
 */
export function namedBits(bits: readonly number[]): Buffer {
	for (const bit of bits) {
		if (!Number.isInteger(bit) || bit < 0 || bit > 255) throw new Error(`named bit must be an integer 0..255, got ${bit}`);
	}
	if (bits.length === 0) return bitString(Buffer.alloc(0));
	const highest = Math.max(...bits);
	const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
	for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
	return bitString(bytes, 7 - (highest & 7));
}

export function octetString(bytes: Uint8Array): Buffer {
	return tlv(TAG.OCTET_STRING, bytes);
}

export function utf8String(text: string): Buffer {
	if (typeof text !== 'string') throw new Error(`UTF8String needs a string, got ${typeof text}`);
	if (/\p{Cs}/u.test(text)) throw new Error(`UTF8String ${JSON.stringify(text)} holds a lone surrogate`);
	return tlv(TAG.UTF8_STRING, Buffer.from(text, 'utf8'));
}

/** PrintableString allows only letters, digits, space and ' ( ) + , - . / : = ? */
export function printableString(text: string): Buffer {
	if (typeof text !== 'string' || !/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) {
		throw new Error(`PrintableString cannot hold ${JSON.stringify(text)}`);
	}
	return tlv(TAG.PRINTABLE_STRING, Buffer.from(text, 'latin1'));
}

/** IA5String is 7-bit ASCII (used by dNSName in subjectAltName). */
export function ia5String(text: string): Buffer {
	if (typeof text !== 'string' || !/^[\x00-\x7f]*$/.test(text)) throw new Error(`IA5String cannot hold ${JSON.stringify(text)}`);
	return tlv(TAG.IA5_STRING, Buffer.from(text, 'latin1'));
}

function checkDate(date: Date, what: string): void {
	if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new Error(`${what} needs a valid Date`);
	if (date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) throw new Error(`${what} cannot hold the year ${date.getUTCFullYear()}`);
}

/** The UTC fields YYYYMMDDHHMMSS; fractions of a second are dropped, as X.509 requires. */
function timeDigits(date: Date): string {
	const two = (value: number) => String(value).padStart(2, '0');
	return `${String(date.getUTCFullYear()).padStart(4, '0')}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}` +
		`${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
}

/** UTCTime YYMMDDHHMMSSZ; two-digit years only cover 1950..2049. */
export function utcTime(date: Date): Buffer {
	checkDate(date, 'UTCTime');
	const year = date.getUTCFullYear();
	if (year < 1950 || year > 2049) throw new Error(`UTCTime covers 1950..2049, got the year ${year}`);
	return tlv(TAG.UTC_TIME, Buffer.from(`${timeDigits(date).slice(2)}Z`, 'latin1'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ. */
export function generalizedTime(date: Date): Buffer {
	checkDate(date, 'GeneralizedTime');
	return tlv(TAG.GENERALIZED_TIME, Buffer.from(`${timeDigits(date)}Z`, 'latin1'));
}

/** The X.509 Time choice: UTCTime through 2049, GeneralizedTime from 2050 on (RFC 5280 4.1.2.5). */
export function time(date: Date): Buffer {
	checkDate(date, 'Time');
	const year = date.getUTCFullYear();
	return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}

function checkTagNumber(tagNumber: number): void {
	if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
		throw new Error(`context-specific tag number must be 0..30, got ${tagNumber}`);
	}
}

/** [n] EXPLICIT: the whole inner element wrapped in a constructed context-specific element. */
export function explicit(tagNumber: number, element: Uint8Array): Buffer {
	checkTagNumber(tagNumber);
	return tlv(CONTEXT_SPECIFIC | CONSTRUCTED | tagNumber, element);
}

/** [n] IMPLICIT: the inner element's tag replaced, keeping whether it is constructed. */
export function implicit(tagNumber: number, element: Uint8Array): Buffer {
	checkTagNumber(tagNumber);
	if (element.length < 2) throw new Error('IMPLICIT tagging needs a complete DER element');
	const retagged = Buffer.from(element);
	retagged[0] = CONTEXT_SPECIFIC | (element[0] & CONSTRUCTED) | tagNumber;
	return retagged;
}

/** One element read back: its tag byte, its contents and where the next element starts. */
export interface DerElement {
	tag: number;
	contents: Buffer;
	/** The whole element, tag and length included. */
	bytes: Buffer;
	end: number;
}

/** Reads the element at `offset`, refusing the indefinite form and lengths past the end. */
export function readElement(data: Uint8Array, offset = 0): DerElement {
	const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
	if (offset + 2 > buffer.length) throw new Error(`DER: truncated element at offset ${offset}`);
	const tag = buffer[offset];
	if ((tag & 0x1f) === 0x1f) throw new Error(`DER: multi-byte tags are not supported (offset ${offset})`);
	let length = buffer[offset + 1];
	let start = offset + 2;
	if (length & 0x80) {
		const count = length & 0x7f;
		if (count === 0) throw new Error(`DER: indefinite length at offset ${offset}`);
		if (count > 6) throw new Error(`DER: length of ${count} bytes at offset ${offset} is too large`);
		if (start + count > buffer.length) throw new Error(`DER: truncated length at offset ${offset}`);
		length = 0;
		for (let index = 0; index < count; index++) length = length * 256 + buffer[start + index];
		start += count;
	}
	const end = start + length;
	if (end > buffer.length) throw new Error(`DER: element at offset ${offset} claims ${length} bytes but only ${buffer.length - start} remain`);
	return { tag, contents: buffer.subarray(start, end), bytes: buffer.subarray(offset, end), end };
}

/** The elements inside a constructed element's contents, in order. */
export function readChildren(contents: Uint8Array): DerElement[] {
	const children: DerElement[] = [];
	for (let offset = 0; offset < contents.length;) {
		const child = readElement(contents, offset);
		children.push(child);
		offset = child.end;
	}
	return children;
}

/** A UTCTime or GeneralizedTime element (the forms `time` writes: seconds, 'Z') back to a Date. */
export function readTime(element: DerElement): Date {
	const text = element.contents.toString('latin1');
	let digits: string;
	if (element.tag === TAG.UTC_TIME && /^[0-9]{12}Z$/.test(text)) {
		const year = Number(text.slice(0, 2));
		digits = `${year < 50 ? 20 : 19}${text.slice(0, 12)}`;
	} else if (element.tag === TAG.GENERALIZED_TIME && /^[0-9]{14}Z$/.test(text)) {
		digits = text.slice(0, 14);
	} else {
		throw new Error(`DER: expected a UTCTime or GeneralizedTime in the form YY(YY)MMDDHHMMSSZ, got tag ${element.tag} ${JSON.stringify(text)}`);
	}
	const field = (start: number, end: number) => Number(digits.slice(start, end));
	// setUTCFullYear, unlike Date.UTC, does not map the years 0..99 to 1900..1999.
	const date = new Date(0);
	date.setUTCFullYear(field(0, 4), field(4, 6) - 1, field(6, 8));
	date.setUTCHours(field(8, 10), field(10, 12), field(12, 14));
	if (timeDigits(date) !== digits) throw new Error(`DER: ${JSON.stringify(text)} is not a valid date`);
	return date;
}
