import test from 'ava';
import { ResponseParser, HttpError, type ResponseHead, type ResponseParserOptions } from '../../modules/http/response-parser';

/** What a parse produced: every head, the body joined, completion, and the error code if any. */
interface Outcome {
	heads: ResponseHead[];
	body: string;
	complete: boolean;
	error?: string;
}

function bytes(text: string): Uint8Array {
	return new Uint8Array(Buffer.from(text, 'latin1'));
}

/**
 * Parse `input` cut at `cuts` (offsets), each piece a fresh copy so the parser cannot look past it,
 * then finish(). Also checks that every body piece is a view into the piece it came from.
 */
function parse(input: Uint8Array, cuts: number[], options: ResponseParserOptions = {}): Outcome {
	const outcome: Outcome = { heads: [], body: '', complete: false };
	let current: Uint8Array | undefined;
	const parser = new ResponseParser({
		onHead: (head) => outcome.heads.push(head),
		onBody: (piece) => {
			if (piece.length === 0) throw new Error('empty body piece');
			if (piece.buffer !== current?.buffer) throw new Error('body piece is not a view of the input');
			outcome.body += Buffer.from(piece).toString('latin1');
		},
		onComplete: () => {
			if (outcome.complete) throw new Error('onComplete twice');
			outcome.complete = true;
		},
	}, options);
	try {
		let start = 0;
		for (const cut of [...cuts, input.length]) {
			current = input.slice(start, cut);
			parser.execute(current);
			start = cut;
		}
		parser.finish();
	} catch (error) {
		if (!(error instanceof HttpError)) throw error;
		outcome.error = error.code;
	}
	return outcome;
}

const bigHeaders = Array.from({ length: 120 }, (_, i) => `X-Filler-${String(i).padStart(3, '0')}: ${'v'.repeat(60)}\r\n`).join('');

// Valid responses: [name, response text, parser options, expected status, expected headers, expected body].
const RESPONSES: [string, string, ResponseParserOptions, number, Record<string, string>, string][] = [
	[
		'content-length, repeated header joined',
		'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nX-Dup: a\r\nx-dup:  b \r\n\r\nHello, world!',
		{}, 200, { 'content-type': 'text/plain', 'content-length': '13', 'x-dup': 'a, b' }, 'Hello, world!',
	],
	[
		'chunked with extensions and trailers; Content-Length ignored and removed',
		'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\n\r\n5;name=value\r\nHello\r\n7 ; ext="q;x"\r\n, world\r\n1\r\n!\r\n0;last\r\nTrailer-A: x\r\nTrailer-B: y\r\n\r\n',
		{}, 200, { 'transfer-encoding': 'chunked' }, 'Hello, world!',
	],
	[
		'chunked, hex in both cases, bare LF line ends, empty trailer',
		'HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\nA\r\n0123456789\r\na\n9876543210\n0\n\n',
		{}, 200, { 'transfer-encoding': 'Chunked' }, '01234567899876543210',
	],
	[
		'read until close (HTTP/1.0, no length)',
		'HTTP/1.0 200 OK\r\nServer: old\r\n\r\nbody until the peer closes',
		{}, 200, { server: 'old' }, 'body until the peer closes',
	],
	['204 has no body whatever it says', 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n', {}, 204, { 'content-length': '10' }, ''],
	['304 has no body', 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n', {}, 304, { etag: '"x"' }, ''],
	['HEAD has no body', 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', { method: 'HEAD' }, 200, { 'content-length': '1234' }, ''],
	['Content-Length 0', 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n', {}, 404, { 'content-length': '0' }, ''],
	['equal repeated Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nabcde', {}, 200, { 'content-length': '5, 5' }, 'abcde'],
	['no reason phrase, no SP', 'HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok', {}, 200, { 'content-length': '2' }, 'ok'],
	['bare LF head', 'HTTP/1.1 200 OK\nContent-Length: 3\nEmpty:\n\nabc', {}, 200, { 'content-length': '3', empty: '' }, 'abc'],
	[
		'1xx interim responses are skipped',
		'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
		{}, 200, { 'content-length': '2' }, 'ok',
	],
	[
		'big header section just under the limit',
		`HTTP/1.1 200 OK\r\n${bigHeaders}Content-Length: 4\r\n\r\nbody`,
		{ maxHeaderBytes: 9200 }, 200, {}, 'body',
	],
	[
		'binary body with CR, LF and high bytes',
		'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n\r\n\r\n\x00\xff\x80\n',
		{}, 200, { 'content-length': '8' }, '\r\n\r\n\x00\xff\x80\n',
	],
];

for (const [name, text, options, status, headers, body] of RESPONSES) {
	const input = bytes(text);

	test(`parses whole: ${name}`, (t) => {
		const outcome = parse(input, [], options);
		t.is(outcome.error, undefined);
		t.is(outcome.heads.length, 1);
		t.is(outcome.heads[0].status, status);
		if (name.startsWith('big header')) {
			t.is(Object.keys(outcome.heads[0].headers).length, 121);
			t.is(outcome.heads[0].headers['x-filler-119'], 'v'.repeat(60));
		} else {
			t.deepEqual(outcome.heads[0].headers, headers);
		}
		t.is(outcome.body, body);
		t.true(outcome.complete);
	});

	test(`any split gives the same result: ${name}`, (t) => {
		const whole = parse(input, [], options);
		for (let i = 1; i < input.length; i++) {
			const split = parse(input, [i], options);
			if (!isSame(split, whole)) return t.fail(`split at ${i} differs: ${JSON.stringify(split)}`);
		}
		const oneByOne = parse(input, Array.from({ length: input.length - 1 }, (_, i) => i + 1), options);
		t.deepEqual(oneByOne, whole, 'one byte at a time');
	});
}

// Every pair of cut points, for the short responses (quadratic, so only these).
for (const index of [0, 1]) {
	const [name, text, options] = RESPONSES[index];
	test(`any two splits give the same result: ${name}`, (t) => {
		const input = bytes(text);
		const whole = parse(input, [], options);
		let checked = 0;
		for (let i = 1; i < input.length; i++) {
			for (let j = i; j < input.length; j++) {
				const split = parse(input, [i, j], options);
				if (!isSame(split, whole)) return t.fail(`splits at ${i},${j} differ: ${JSON.stringify(split)}`);
				checked++;
			}
		}
		t.true(checked > 1000);
	});
}

function isSame(a: Outcome, b: Outcome): boolean {
	return JSON.stringify(a) === JSON.stringify(b);
}

test('body pieces are views of the input, not copies', (t) => {
	const input = bytes('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
	const pieces: Uint8Array[] = [];
	const parser = new ResponseParser({ onHead() {}, onBody: (p) => pieces.push(p), onComplete() {} });
	parser.execute(input);
	t.is(pieces.length, 1);
	t.is(pieces[0].buffer, input.buffer);
	t.is(pieces[0].byteOffset, input.length - 4);
});

test('a read-until-close body completes only at finish()', (t) => {
	let complete = false;
	const parser = new ResponseParser({ onHead() {}, onBody() {}, onComplete: () => (complete = true) });
	parser.execute(bytes('HTTP/1.1 200 OK\r\n\r\nsome'));
	parser.execute(bytes(' more'));
	t.false(complete);
	t.false(parser.complete);
	parser.finish();
	t.true(complete);
	t.true(parser.complete);
	parser.finish(); // idempotent once complete
});

test('a header named __proto__ is an ordinary field', (t) => {
	const outcome = parse(bytes('HTTP/1.1 200 OK\r\n__proto__: x\r\nContent-Length: 0\r\n\r\n'), []);
	const headers = outcome.heads[0].headers;
	t.is(Object.getPrototypeOf(headers), Object.prototype);
	t.is(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value, 'x');
});

test('after an error every call throws the same error', (t) => {
	const parser = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
	const first = t.throws(() => parser.execute(bytes('HTTX/1.1 200 OK\r\n\r\n')), { instanceOf: HttpError });
	t.is(t.throws(() => parser.execute(bytes('more'))), first);
	t.is(t.throws(() => parser.finish()), first);
});

test('maxHeaderBytes is checked', (t) => {
	t.throws(() => new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { maxHeaderBytes: 0 }), { instanceOf: RangeError });
	// Exactly at the limit passes; one byte more fails.
	const head = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
	t.is(parse(bytes(head), [], { maxHeaderBytes: head.length }).error, undefined);
	t.is(parse(bytes(head), [], { maxHeaderBytes: head.length - 1 }).error, 'HEADER_TOO_LARGE');
});

// Broken responses: [what is wrong, response text, parser options, expected error code].
// Each is also fed one byte at a time, which must fail with the same code.
const ERRORS: [string, string, ResponseParserOptions, string][] = [
	['letters in the status code', 'HTTP/1.1 2OO OK\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['not HTTP at all', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['HTTP/2 status line', 'HTTP/2.0 200 OK\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['status out of range', 'HTTP/1.1 600 Odd\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['no space after the version', 'HTTP/1.1200 OK\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['four-digit status', 'HTTP/1.1 2000 OK\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['empty first line', '\r\nHTTP/1.1 200 OK\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['control character in the reason', 'HTTP/1.1 200 O\x01K\r\n\r\n', {}, 'BAD_STATUS_LINE'],
	['bare CR in a header', 'HTTP/1.1 200 OK\r\nA: b\rC: d\r\n\r\n', {}, 'BAD_HEADER'],
	['obsolete line folding', 'HTTP/1.1 200 OK\r\nA: b\r\n  c\r\n\r\n', {}, 'BAD_HEADER'],
	['header without a colon', 'HTTP/1.1 200 OK\r\nNoColon\r\n\r\n', {}, 'BAD_HEADER'],
	['space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nabcde', {}, 'BAD_HEADER'],
	['NUL in a header value', 'HTTP/1.1 200 OK\r\nA: b\x00c\r\n\r\n', {}, 'BAD_HEADER'],
	['header section too large', `HTTP/1.1 200 OK\r\n${bigHeaders}\r\n`, {}, 'HEADER_TOO_LARGE'],
	['endless header line', `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(9000)}`, {}, 'HEADER_TOO_LARGE'],
	['conflicting Content-Length fields', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef', {}, 'BAD_CONTENT_LENGTH'],
	['conflicting Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nabcdef', {}, 'BAD_CONTENT_LENGTH'],
	['non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\n', {}, 'BAD_CONTENT_LENGTH'],
	['negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', {}, 'BAD_CONTENT_LENGTH'],
	['empty Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n', {}, 'BAD_CONTENT_LENGTH'],
	['Content-Length past 2^53', 'HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999\r\n\r\n', {}, 'BAD_CONTENT_LENGTH'],
	['unsupported transfer coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', {}, 'BAD_TRANSFER_ENCODING'],
	['Transfer-Encoding in HTTP/1.0', 'HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', {}, 'BAD_TRANSFER_ENCODING'],
	['101 without an upgrade request', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n', {}, 'UNEXPECTED_STATUS'],
	['chunk size not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', {}, 'BAD_CHUNK_SIZE'],
	['chunk size missing', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n;ext\r\n', {}, 'BAD_CHUNK_SIZE'],
	['chunk size too long', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\n', {}, 'BAD_CHUNK_SIZE'],
	['chunk size then junk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n', {}, 'BAD_CHUNK_SIZE'],
	['CR without LF after the size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n', {}, 'BAD_CHUNK_SIZE'],
	['control character in an extension', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\x00\r\nhello\r\n0\r\n\r\n', {}, 'BAD_CHUNK_SIZE'],
	['endless chunk extension', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;${'e'.repeat(5000)}`, {}, 'BAD_CHUNK_SIZE'],
	['chunk longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n', {}, 'BAD_CHUNK_END'],
	['trailer section too large', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${bigHeaders}\r\n`, {}, 'HEADER_TOO_LARGE'],
	['body longer than Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcdefgh', {}, 'BODY_TOO_LONG'],
	['bytes after the last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n', {}, 'EXTRA_BYTES'],
	['a body after 204', 'HTTP/1.1 204 No Content\r\n\r\nsurprise', {}, 'EXTRA_BYTES'],
	['a body after a HEAD response', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc', { method: 'HEAD' }, 'EXTRA_BYTES'],
	['Content-Length body cut short', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', {}, 'TRUNCATED_BODY'],
	['chunked body cut in a chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', {}, 'TRUNCATED_BODY'],
	['chunked body cut before the last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n', {}, 'TRUNCATED_BODY'],
	['chunked body cut in the trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n', {}, 'TRUNCATED_BODY'],
	['head cut short', 'HTTP/1.1 200 OK\r\nContent-Len', {}, 'CONNECTION_CLOSED'],
	['nothing at all', '', {}, 'CONNECTION_CLOSED'],
];

for (const [what, text, options, code] of ERRORS) {
	test(`fails with ${code}: ${what}`, (t) => {
		const input = bytes(text);
		const whole = parse(input, [], options);
		t.is(whole.error, code);
		t.false(whole.complete && code !== 'BODY_TOO_LONG' && code !== 'EXTRA_BYTES');
		const oneByOne = parse(input, Array.from({ length: Math.max(0, input.length - 1) }, (_, i) => i + 1), options);
		t.is(oneByOne.error, code, 'one byte at a time');
	});
}

test('extra bytes in the same piece fail instead of completing', (t) => {
	const outcome = parse(bytes('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA'), []);
	t.is(outcome.error, 'BODY_TOO_LONG');
	t.false(outcome.complete);
	t.is(outcome.body, 'ok');
});

test('errors carry a message that says what was wrong', (t) => {
	const parser = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
	const error = t.throws(() => parser.execute(bytes('HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n')), { instanceOf: HttpError });
	t.is(error?.name, 'HttpError');
	t.regex(error?.message ?? '', /conflicting Content-Length values "5, 6"/);
});
