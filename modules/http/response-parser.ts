/*
 * An incremental HTTP/1.1 response parser (RFC 9112), push style: feed it bytes as they arrive,
 * in pieces split anywhere, and it calls the sink. Only the header section is buffered, up to
 * `maxHeaderBytes`; body bytes reach the sink as subarrays of the input, never copied.
 *
 * States, in the manner of Moddable's http.js:
 *
 *   HEAD            collecting the status line and header fields up to the empty line; a 1xx
 *                   interim response is dropped and HEAD starts over for the final one
 *   BODY_LENGTH     Content-Length body: `remaining` bytes still to come
 *   BODY_CLOSE      no length given: everything up to the peer's close is body (finish())
 *   CHUNK_SIZE      chunked: hex digits of a chunk size
 *   CHUNK_EXT       chunked: a chunk extension after the size, skipped up to the line end
 *   CHUNK_SIZE_LF   chunked: CR seen after the size line, LF must follow
 *   CHUNK_DATA      chunked: `remaining` bytes of chunk data still to come
 *   CHUNK_DATA_END  chunked: the CRLF that closes chunk data (CR or LF expected)
 *   CHUNK_DATA_LF   chunked: CR seen after chunk data, LF must follow
 *   TRAILER         chunked: trailer fields after the last chunk, skipped up to the empty line
 *   DONE            onComplete() was called; any further byte is an error
 *   FAILED          an error was thrown; every later call throws it again
 *
 * Body framing follows RFC 9112 section 6.3: no body for HEAD, 1xx, 204 and 304; chunked when
 * Transfer-Encoding says so (it wins over Content-Length, which is then removed from the headers
 * handed to the sink); else Content-Length; else read until the connection closes. Lines may end
 * in CRLF or a bare LF (RFC 9112 section 2.2); a bare CR is an error. Obsolete line folding is
 * refused. Bytes after the end of the response are an error: one request per connection.
 */
import { latin1Decode } from '../bytes';

export type HttpErrorCode =
	// The response broke HTTP/1.1.
	| 'BAD_STATUS_LINE'
	| 'BAD_HEADER'
	| 'HEADER_TOO_LARGE'
	| 'BAD_CONTENT_LENGTH'
	| 'BAD_TRANSFER_ENCODING'
	| 'BAD_CHUNK_SIZE'
	| 'BAD_CHUNK_END'
	| 'UNEXPECTED_STATUS'
	| 'BODY_TOO_LONG'
	| 'EXTRA_BYTES'
	| 'TRUNCATED_BODY'
	// The connection closed before the response head was complete.
	| 'CONNECTION_CLOSED'
	// Raised by the client.
	| 'CONNECT_FAILED'
	| 'TLS'
	| 'TIMEOUT'
	| 'IDLE_TIMEOUT'
	| 'BODY_TOO_LARGE'
	| 'BAD_JSON'
	| 'ABORTED';

/** A failed HTTP exchange; `code` says what kind of failure it was. */
export class HttpError extends Error {
	readonly code: HttpErrorCode;
	constructor(code: HttpErrorCode, message: string) {
		super(message);
		this.name = 'HttpError';
		this.code = code;
	}
}

export interface ResponseHead {
	status: number;
	reason: string;
	/** Lowercase field names; repeated fields joined with ', '. */
	headers: Record<string, string>;
}

export interface ResponseSink {
	onHead(head: ResponseHead): void;
	/** A subarray of the bytes given to execute(); only valid until execute() returns. */
	onBody(bytes: Uint8Array): void;
	onComplete(): void;
}

export interface ResponseParserOptions {
	/** Largest header section (status line to empty line) accepted; also caps trailers. Default 8192. */
	maxHeaderBytes?: number;
	/** The request method; a response to HEAD has no body. */
	method?: string;
}

export const DEFAULT_MAX_HEADER_BYTES = 8192;
/** Longest chunk-size line accepted, extensions included. */
const MAX_CHUNK_LINE = 4096;
/** 13 hex digits stay below 2^53, so chunk sizes are exact numbers. */
const MAX_CHUNK_SIZE_DIGITS = 13;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const SEMICOLON = 59;

const State = {
	HEAD: 0,
	BODY_LENGTH: 1,
	BODY_CLOSE: 2,
	CHUNK_SIZE: 3,
	CHUNK_EXT: 4,
	CHUNK_SIZE_LF: 5,
	CHUNK_DATA: 6,
	CHUNK_DATA_END: 7,
	CHUNK_DATA_LF: 8,
	TRAILER: 9,
	DONE: 10,
	FAILED: 11,
} as const;

type State = (typeof State)[keyof typeof State];

type Framing = 'none' | 'length' | 'chunked' | 'close';

export class ResponseParser {
	#sink: ResponseSink;
	#maxHeaderBytes: number;
	#isHead: boolean;
	#state: State = State.HEAD;
	#framing: Framing = 'none';
	/** HTTP/1.1 without `Connection: close`: the server keeps the connection after this response. */
	#persistent = false;
	#error: unknown;
	/** Bytes of body (BODY_LENGTH) or of the current chunk (CHUNK_DATA) still to come. */
	#remaining = 0;
	#contentLength = 0;
	/** The header section so far; grown as needed up to maxHeaderBytes. */
	#head = new Uint8Array(0);
	#headLength = 0;
	/** Bytes received in the current line of the head or trailer, and the last of them. */
	#lineLength = 0;
	#lastByte = 0;
	#trailerLength = 0;
	#chunkSize = 0;
	#chunkDigits = 0;
	#chunkLineLength = 0;

	constructor(sink: ResponseSink, options: ResponseParserOptions = {}) {
		const max = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
		if (!Number.isSafeInteger(max) || max < 16) throw new RangeError(`maxHeaderBytes must be an integer of at least 16, got ${max}`);
		this.#sink = sink;
		this.#maxHeaderBytes = max;
		this.#isHead = options.method === 'HEAD';
	}

	/** True once onComplete() has been called. */
	get complete(): boolean {
		return this.#state === State.DONE;
	}

	/** The response is complete and the connection may carry another request. */
	get persistent(): boolean {
		return this.#state === State.DONE && this.#persistent && this.#framing !== 'close';
	}

	/** Parse the next bytes of the response. Throws HttpError when they break the protocol. */
	execute(input: Uint8Array): void {
		if (this.#state === State.FAILED) throw this.#error;
		try {
			this.#run(input);
		} catch (error) {
			this.#state = State.FAILED;
			this.#error = error;
			throw error;
		}
	}

	/** The peer closed the connection: completes a read-until-close body, or throws. */
	finish(): void {
		switch (this.#state) {
			case State.DONE:
				return;
			case State.FAILED:
				throw this.#error;
			case State.BODY_CLOSE:
				this.#state = State.DONE;
				this.#sink.onComplete();
				return;
			case State.HEAD:
				return this.#fail(new HttpError('CONNECTION_CLOSED', this.#headLength === 0
					? 'connection closed before a response arrived'
					: `connection closed after ${this.#headLength} bytes of the response head`));
			case State.BODY_LENGTH:
				return this.#fail(new HttpError('TRUNCATED_BODY', `connection closed ${this.#remaining} bytes before the end of the ${this.#contentLength}-byte body`));
			default:
				return this.#fail(new HttpError('TRUNCATED_BODY', 'connection closed before the end of the chunked body'));
		}
	}

	#fail(error: HttpError): never {
		this.#state = State.FAILED;
		this.#error = error;
		throw error;
	}

	#run(input: Uint8Array): void {
		const end = input.length;
		let pos = 0;
		while (pos < end) {
			switch (this.#state) {
				case State.HEAD:
					pos = this.#scanHead(input, pos);
					break;
				case State.BODY_LENGTH: {
					const n = Math.min(this.#remaining, end - pos);
					this.#sink.onBody(input.subarray(pos, pos + n));
					pos += n;
					this.#remaining -= n;
					if (this.#remaining === 0) this.#complete(input, pos);
					break;
				}
				case State.BODY_CLOSE:
					this.#sink.onBody(pos === 0 ? input : input.subarray(pos));
					pos = end;
					break;
				case State.CHUNK_SIZE:
					pos = this.#scanChunkSize(input, pos);
					break;
				case State.CHUNK_EXT:
					pos = this.#scanChunkExtension(input, pos);
					break;
				case State.CHUNK_SIZE_LF:
					if (input[pos] !== LF) throw new HttpError('BAD_CHUNK_SIZE', 'CR not followed by LF in a chunk-size line');
					pos++;
					this.#endChunkSizeLine();
					break;
				case State.CHUNK_DATA: {
					const n = Math.min(this.#remaining, end - pos);
					this.#sink.onBody(input.subarray(pos, pos + n));
					pos += n;
					this.#remaining -= n;
					if (this.#remaining === 0) this.#state = State.CHUNK_DATA_END;
					break;
				}
				case State.CHUNK_DATA_END: {
					const byte = input[pos++];
					if (byte === CR) this.#state = State.CHUNK_DATA_LF;
					else if (byte === LF) this.#startChunk();
					else throw new HttpError('BAD_CHUNK_END', `chunk data longer than its size ${this.#chunkSize} (no CRLF after it)`);
					break;
				}
				case State.CHUNK_DATA_LF:
					if (input[pos++] !== LF) throw new HttpError('BAD_CHUNK_END', 'CR not followed by LF after chunk data');
					this.#startChunk();
					break;
				case State.TRAILER:
					pos = this.#scanTrailer(input, pos);
					break;
				case State.DONE:
					throw this.#extraBytes(end - pos);
				case State.FAILED:
					throw this.#error;
			}
		}
	}

	/** Collect head bytes up to the next LF; at the empty line parse the head. */
	#scanHead(input: Uint8Array, pos: number): number {
		const lf = input.indexOf(LF, pos);
		const stop = lf === -1 ? input.length : lf + 1;
		if (this.#headLength + (stop - pos) > this.#maxHeaderBytes) {
			throw new HttpError('HEADER_TOO_LARGE', `response head is larger than ${this.#maxHeaderBytes} bytes`);
		}
		this.#appendHead(input.subarray(pos, stop));
		if (lf === -1) {
			this.#lineLength += stop - pos;
			this.#lastByte = input[stop - 1];
			return stop;
		}
		const lineLength = this.#lineLength + (lf - pos);
		const last = lf > pos ? input[lf - 1] : this.#lastByte;
		this.#lineLength = 0;
		this.#lastByte = LF;
		if (lineLength === 0 || (lineLength === 1 && last === CR)) this.#endHead(input, stop);
		return stop;
	}

	#appendHead(bytes: Uint8Array): void {
		const need = this.#headLength + bytes.length;
		if (need > this.#head.length) {
			const grown = new Uint8Array(Math.min(this.#maxHeaderBytes, Math.max(need, 256, this.#head.length * 2)));
			grown.set(this.#head.subarray(0, this.#headLength));
			this.#head = grown;
		}
		this.#head.set(bytes, this.#headLength);
		this.#headLength = need;
	}

	#endHead(input: Uint8Array, pos: number): void {
		const text = latin1Decode(this.#head.subarray(0, this.#headLength));
		this.#head = new Uint8Array(0);
		this.#headLength = 0;
		const { head, minor } = parseHead(text);
		const { status } = head;
		if (status >= 100 && status < 200) {
			// 101 would switch protocols, which this client never asks for; others are interim.
			if (status === 101) throw new HttpError('UNEXPECTED_STATUS', 'unexpected 101 Switching Protocols');
			return;
		}
		const headers = head.headers;
		this.#persistent = minor === 1 && !/(^|,)\s*close\s*(,|$)/i.test(headers.connection ?? '');
		const transferEncoding = headers['transfer-encoding'];
		const contentLength = headers['content-length'];
		if (this.#isHead || status === 204 || status === 304) {
			this.#framing = 'none';
		} else if (transferEncoding !== undefined) {
			if (minor === 0) throw new HttpError('BAD_TRANSFER_ENCODING', 'Transfer-Encoding in an HTTP/1.0 response');
			if (transferEncoding.trim().toLowerCase() !== 'chunked') {
				throw new HttpError('BAD_TRANSFER_ENCODING', `unsupported Transfer-Encoding "${transferEncoding}" (only chunked)`);
			}
			this.#framing = 'chunked';
			delete headers['content-length'];
		} else if (contentLength !== undefined) {
			this.#contentLength = parseContentLength(contentLength);
			this.#framing = 'length';
		} else {
			this.#framing = 'close';
		}
		this.#sink.onHead(head);
		switch (this.#framing) {
			case 'none':
				return this.#complete(input, pos);
			case 'length':
				this.#remaining = this.#contentLength;
				if (this.#remaining === 0) return this.#complete(input, pos);
				this.#state = State.BODY_LENGTH;
				return;
			case 'chunked':
				return this.#startChunk();
			case 'close':
				this.#state = State.BODY_CLOSE;
				return;
		}
	}

	#startChunk(): void {
		this.#state = State.CHUNK_SIZE;
		this.#chunkSize = 0;
		this.#chunkDigits = 0;
		this.#chunkLineLength = 0;
	}

	#scanChunkSize(input: Uint8Array, pos: number): number {
		const end = input.length;
		while (pos < end) {
			const byte = input[pos];
			const digit = hexValue(byte);
			if (digit >= 0) {
				if (++this.#chunkDigits > MAX_CHUNK_SIZE_DIGITS) throw new HttpError('BAD_CHUNK_SIZE', `chunk size has more than ${MAX_CHUNK_SIZE_DIGITS} hex digits`);
				this.#chunkSize = this.#chunkSize * 16 + digit;
				this.#chunkLineLength++;
				pos++;
				continue;
			}
			if (this.#chunkDigits === 0) throw new HttpError('BAD_CHUNK_SIZE', `chunk size expected, got ${describeByte(byte)}`);
			pos++;
			if (byte === SEMICOLON || byte === SP || byte === HTAB) {
				this.#chunkLineLength++;
				this.#state = State.CHUNK_EXT;
			} else if (byte === CR) {
				this.#state = State.CHUNK_SIZE_LF;
			} else if (byte === LF) {
				this.#endChunkSizeLine();
			} else {
				throw new HttpError('BAD_CHUNK_SIZE', `unexpected ${describeByte(byte)} after a chunk size`);
			}
			return pos;
		}
		return pos;
	}

	/** Skip a chunk extension: nobody here gives extensions a meaning. */
	#scanChunkExtension(input: Uint8Array, pos: number): number {
		const end = input.length;
		while (pos < end) {
			const byte = input[pos++];
			if (byte === CR) {
				this.#state = State.CHUNK_SIZE_LF;
				return pos;
			}
			if (byte === LF) {
				this.#endChunkSizeLine();
				return pos;
			}
			if ((byte < SP && byte !== HTAB) || byte === 0x7f) throw new HttpError('BAD_CHUNK_SIZE', `${describeByte(byte)} in a chunk extension`);
			if (++this.#chunkLineLength > MAX_CHUNK_LINE) throw new HttpError('BAD_CHUNK_SIZE', `chunk-size line longer than ${MAX_CHUNK_LINE} bytes`);
		}
		return pos;
	}

	#endChunkSizeLine(): void {
		if (this.#chunkSize === 0) {
			this.#state = State.TRAILER;
			this.#trailerLength = 0;
			this.#lineLength = 0;
			return;
		}
		this.#remaining = this.#chunkSize;
		this.#state = State.CHUNK_DATA;
	}

	/** Skip trailer fields (their meaning is optional and none is needed) up to the empty line. */
	#scanTrailer(input: Uint8Array, pos: number): number {
		const lf = input.indexOf(LF, pos);
		const stop = lf === -1 ? input.length : lf + 1;
		this.#trailerLength += stop - pos;
		if (this.#trailerLength > this.#maxHeaderBytes) {
			throw new HttpError('HEADER_TOO_LARGE', `response trailer section is larger than ${this.#maxHeaderBytes} bytes`);
		}
		if (lf === -1) {
			this.#lineLength += stop - pos;
			this.#lastByte = input[stop - 1];
			return stop;
		}
		const lineLength = this.#lineLength + (lf - pos);
		const last = lf > pos ? input[lf - 1] : this.#lastByte;
		this.#lineLength = 0;
		this.#lastByte = LF;
		if (lineLength === 0 || (lineLength === 1 && last === CR)) this.#complete(input, stop);
		return stop;
	}

	/** The response ended at `pos`; bytes after it in the same input fail it instead. */
	#complete(input: Uint8Array, pos: number): void {
		if (pos < input.length) throw this.#extraBytes(input.length - pos);
		this.#state = State.DONE;
		this.#sink.onComplete();
	}

	#extraBytes(count: number): HttpError {
		if (this.#framing === 'length') {
			return new HttpError('BODY_TOO_LONG', `response body is longer than its Content-Length of ${this.#contentLength} bytes`);
		}
		return new HttpError('EXTRA_BYTES', `${count} unexpected bytes after the end of the response`);
	}
}

/** Parse the header section (without its final empty line) into the head handed to the sink. */
function parseHead(text: string): { head: ResponseHead; minor: number } {
	const lines = text.split('\n');
	lines.length -= 2; // the empty line that ended the head, and what follows its LF
	for (let i = 0; i < lines.length; i++) {
		let line = lines[i];
		if (line.endsWith('\r')) line = line.slice(0, -1);
		if (line.includes('\r')) {
			throw new HttpError(i === 0 ? 'BAD_STATUS_LINE' : 'BAD_HEADER', `bare CR in the response head: ${snippet(line)}`);
		}
		lines[i] = line;
	}
	if (lines.length === 0 || lines[0] === '') throw new HttpError('BAD_STATUS_LINE', 'empty status line');
	const { status, reason, minor } = parseStatusLine(lines[0]);
	const headers: Record<string, string> = {};
	for (let i = 1; i < lines.length; i++) {
		const line = lines[i];
		const first = line.charCodeAt(0);
		if (first === SP || first === HTAB) throw new HttpError('BAD_HEADER', `obsolete header line folding is not supported: ${snippet(line)}`);
		const colon = line.indexOf(':');
		if (colon === -1) throw new HttpError('BAD_HEADER', `header line without a colon: ${snippet(line)}`);
		const name = line.slice(0, colon);
		if (!isToken(name)) throw new HttpError('BAD_HEADER', `invalid header name ${snippet(name)}`);
		const value = trimOws(line.slice(colon + 1));
		if (!isFieldText(value)) throw new HttpError('BAD_HEADER', `control character in the value of header "${name}"`);
		addHeader(headers, name.toLowerCase(), value);
	}
	return { head: { status, reason, headers }, minor };
}

/** HTTP-version SP 3DIGIT [SP reason-phrase]; the SP before an empty reason may be missing. */
function parseStatusLine(line: string): { status: number; reason: string; minor: number } {
	if (!line.startsWith('HTTP/')) throw new HttpError('BAD_STATUS_LINE', `not an HTTP response: ${snippet(line)}`);
	const version = line.slice(5, 8);
	if (version !== '1.1' && version !== '1.0') throw new HttpError('BAD_STATUS_LINE', `unsupported HTTP version in ${snippet(line)}`);
	const code = line.slice(9, 12);
	if (line[8] !== ' ' || !/^[1-5][0-9][0-9]$/.test(code)) throw new HttpError('BAD_STATUS_LINE', `malformed status line ${snippet(line)}`);
	if (line.length > 12 && line[12] !== ' ') throw new HttpError('BAD_STATUS_LINE', `malformed status line ${snippet(line)}`);
	const reason = line.slice(13);
	if (!isFieldText(reason)) throw new HttpError('BAD_STATUS_LINE', `control character in the reason phrase: ${snippet(line)}`);
	return { status: Number(code), reason, minor: version === '1.0' ? 0 : 1 };
}

/** A Content-Length value: digits, or a list of identical values where a field was repeated. */
function parseContentLength(value: string): number {
	let length: number | undefined;
	for (const part of value.split(',')) {
		const digits = trimOws(part);
		if (!/^[0-9]{1,16}$/.test(digits) || Number(digits) > Number.MAX_SAFE_INTEGER) {
			throw new HttpError('BAD_CONTENT_LENGTH', `invalid Content-Length "${value}"`);
		}
		const n = Number(digits);
		if (length !== undefined && n !== length) throw new HttpError('BAD_CONTENT_LENGTH', `conflicting Content-Length values "${value}"`);
		length = n;
	}
	return length as number;
}

function addHeader(headers: Record<string, string>, name: string, value: string): void {
	if (Object.hasOwn(headers, name)) headers[name] += `, ${value}`;
	// `__proto__` would set the prototype instead of adding a field.
	else if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
	else headers[name] = value;
}

const TOKEN_SYMBOLS = "!#$%&'*+-.^_`|~";

function isToken(text: string): boolean {
	if (text === '') return false;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
		if (!alnum && !TOKEN_SYMBOLS.includes(text[i])) return false;
	}
	return true;
}

/** HTAB, SP, visible ASCII and obs-text (bytes 0x80-0xFF). */
function isFieldText(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if ((c < SP && c !== HTAB) || c === 0x7f) return false;
	}
	return true;
}

function trimOws(text: string): string {
	let start = 0;
	let end = text.length;
	while (start < end && (text.charCodeAt(start) === SP || text.charCodeAt(start) === HTAB)) start++;
	while (end > start && (text.charCodeAt(end - 1) === SP || text.charCodeAt(end - 1) === HTAB)) end--;
	return text.slice(start, end);
}

function hexValue(byte: number): number {
	if (byte >= 48 && byte <= 57) return byte - 48;
	if (byte >= 65 && byte <= 70) return byte - 55;
	if (byte >= 97 && byte <= 102) return byte - 87;
	return -1;
}

function describeByte(byte: number): string {
	return byte >= 0x21 && byte <= 0x7e ? `"${String.fromCharCode(byte)}"` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/** A line as quoted in messages, shortened. */
function snippet(text: string): string {
	return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}
