import test from 'ava';
import { asciiEncode, concatBytes, latin1Decode, toBytes, toHex, utf8Decode, utf8Encode } from '../../modules/bytes';

// Strings whose UTF-8 must match Node's: [what, text].
const STRINGS: [string, string][] = [
	['empty', ''],
	['ASCII', 'Hello, world! {"a":1}'],
	['NUL and controls', '\u0000\u0001\u001f\u007f'],
	['two-byte', '\u0080\u00e9\u00ff\u07ff'],
	['three-byte', '\u0800\u20ac\ud7ff\ue000\ufeff\uffff'],
	['four-byte via surrogate pairs', '\u{10000}\u{1f600}\u{10ffff}'],
	['mixed', 'Gr\u00fc\u00dfe \u2603 \u{1f680} z'],
	['lone high surrogate', 'a\ud800b'],
	['lone low surrogate', 'a\udc00b'],
	['high surrogate at the end', 'a\udbff'],
	['reversed pair', '\ude00\ud83d'],
	['longer than one flush', '\u00e9\u{1f600}x'.repeat(3000)],
];

for (const [what, text] of STRINGS) {
	test(`utf8Encode matches Buffer: ${what}`, (t) => {
		t.deepEqual(Buffer.from(utf8Encode(text)), Buffer.from(text, 'utf8'));
	});

	test(`utf8Decode(utf8Encode(x)) round-trips: ${what}`, (t) => {
		// Lone surrogates cannot round-trip: they were encoded as U+FFFD.
		const expected = Buffer.from(text, 'utf8').toString('utf8');
		t.is(utf8Decode(utf8Encode(text)), expected);
		t.is(utf8Decode(new Uint8Array(Buffer.from(text, 'utf8'))), expected);
	});
}

// Invalid UTF-8 and the text it decodes to, per the WHATWG decoder: [what, bytes, text].
const INVALID: [string, number[], string][] = [
	['lone continuation byte', [0x80], '\ufffd'],
	['overlong two-byte lead C0', [0xc0, 0x80], '\ufffd\ufffd'],
	['overlong three-byte form', [0xe0, 0x80, 0x80], '\ufffd\ufffd\ufffd'],
	['encoded surrogate', [0xed, 0xa0, 0x80], '\ufffd\ufffd\ufffd'],
	['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80], '\ufffd\ufffd\ufffd\ufffd'],
	['F5 lead', [0xf5, 0x80], '\ufffd\ufffd'],
	['FF byte', [0x41, 0xff, 0x42], 'A\ufffdB'],
	['truncated at the end', [0xe2, 0x82], '\ufffd'],
	['truncated four-byte at the end', [0xf0, 0x9f, 0x98], '\ufffd'],
	['truncated before ASCII', [0xe2, 0x82, 0x41], '\ufffdA'],
	['truncated before a valid sequence', [0xf0, 0x9f, 0xc3, 0xa9], '\ufffd\u00e9'],
	['byte order mark is kept', [0xef, 0xbb, 0xbf, 0x41], '\ufeffA'],
];

for (const [what, input, text] of INVALID) {
	test(`utf8Decode: ${what}`, (t) => {
		const bytes = new Uint8Array(input);
		t.is(utf8Decode(bytes), text);
		t.is(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes), text, 'the table agrees with TextDecoder');
	});
}

test('utf8Decode matches TextDecoder on random bytes', (t) => {
	let seed = 12345;
	const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
	const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
	// Weighted towards bytes that start or continue multi-byte sequences.
	const pool = [0x41, 0x80, 0x9f, 0xa0, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xc0];
	for (let round = 0; round < 2000; round++) {
		const bytes = new Uint8Array(1 + Math.floor(random() * 12));
		for (let i = 0; i < bytes.length; i++) bytes[i] = random() < 0.5 ? pool[Math.floor(random() * pool.length)] : Math.floor(random() * 256);
		const expected = decoder.decode(bytes);
		if (utf8Decode(bytes) !== expected) return t.fail(`differs for ${Buffer.from(bytes).toString('hex')}`);
	}
	t.pass();
});

test('utf8Decode decodes a subarray, not its whole buffer', (t) => {
	const whole = new Uint8Array(Buffer.from('xx\u00e9yy', 'utf8'));
	t.is(utf8Decode(whole.subarray(2, 4)), '\u00e9');
});

test('utf8 helpers refuse wrong types', (t) => {
	t.throws(() => utf8Encode(42 as unknown as string), { instanceOf: TypeError, message: /expected a string, got number/ });
	t.throws(() => utf8Decode('x' as unknown as Uint8Array), { instanceOf: TypeError, message: /expected a Uint8Array, got string/ });
});

// toHex: [input, hex].
const HEX: [Uint8Array | ArrayBuffer, string][] = [
	[new Uint8Array([]), ''],
	[new Uint8Array([0, 1, 15, 16, 127, 128, 254, 255]), '00010f107f80feff'],
	[new Uint8Array([0xde, 0xad, 0xbe, 0xef]).buffer, 'deadbeef'],
	[new Uint8Array([9, 0xab, 0xcd, 9]).subarray(1, 3), 'abcd'],
];

for (const [input, hex] of HEX) {
	test(`toHex -> "${hex}"`, (t) => {
		t.is(toHex(input), hex);
	});
}

test('toHex of 32 random bytes matches Buffer', (t) => {
	const bytes = new Uint8Array(32).map((_, i) => (i * 73 + 11) & 0xff);
	t.is(toHex(bytes), Buffer.from(bytes).toString('hex'));
});

test('toBytes views without copying and refuses other types', (t) => {
	const array = new Uint8Array([1, 2, 3]);
	t.is(toBytes(array), array);
	const buffer = new ArrayBuffer(4);
	const view = toBytes(buffer);
	t.is(view.buffer, buffer);
	t.is(view.length, 4);
	t.throws(() => toBytes([1, 2] as unknown as Uint8Array), { instanceOf: TypeError, message: /got Array/ });
	t.throws(() => toBytes(null as unknown as Uint8Array), { instanceOf: TypeError, message: /got null/ });
	t.throws(() => toHex('ab' as unknown as Uint8Array), { instanceOf: TypeError });
});

test('asciiEncode and latin1Decode', (t) => {
	t.deepEqual([...asciiEncode('GET / HTTP/1.1\r\n')], [...Buffer.from('GET / HTTP/1.1\r\n', 'latin1')]);
	t.throws(() => asciiEncode('caf\u00e9'), { instanceOf: RangeError, message: /U\+00E9 at 3/ });
	const all = new Uint8Array(256).map((_, i) => i);
	t.is(latin1Decode(all), Buffer.from(all).toString('latin1'));
	const long = new Uint8Array(10_000).map((_, i) => i & 0xff);
	t.is(latin1Decode(long), Buffer.from(long).toString('latin1'));
});

test('concatBytes joins in order', (t) => {
	t.deepEqual([...concatBytes([new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3])])], [1, 2, 3]);
	t.is(concatBytes([]).length, 0);
});
