/*
 * HTTP/1.1 request serialisation (RFC 9112 section 3).
 *
 * Every piece that ends up in the head is checked first, so that no caller-supplied text can end
 * a line early and smuggle in a header or a second request: the method must be a token, the path
 * visible ASCII, header names tokens and values printable ASCII. The client owns the framing
 * headers (Host, Content-Length, Connection, Transfer-Encoding); a caller that passes one gets an
 * error rather than a request with two different answers to the same question.
 */
import { asciiEncode } from '../bytes';

export interface RequestOptions {
	method: string;
	/** Host name or IP address; an IPv6 address without brackets. */
	host: string;
	port: number;
	/** Origin-form request target: path and query, starting with '/'. */
	path: string;
	headers?: Record<string, string>;
	body?: Uint8Array;
	/** Ask the server to keep the connection open after the response (default: Connection: close). */
	keepAlive?: boolean;
}

/** Header fields the client sets itself. */
const RESERVED = ['host', 'content-length', 'connection', 'transfer-encoding'];
/** Methods whose request content has a meaning; they announce an empty body with Content-Length: 0. */
const CONTENT_METHODS = ['POST', 'PUT', 'PATCH'];
const DEFAULT_PORT = 443;

/** The bytes of a complete request: head, then body. Throws an Error naming any invalid part. */
export function serializeRequest(options: RequestOptions): Uint8Array {
	const { method, host, port, path, headers = {}, body, keepAlive = false } = options;
	if (typeof method !== 'string' || !isToken(method)) throw new Error(`invalid HTTP method ${describe(method)}`);
	if (typeof path !== 'string' || path[0] !== '/' || !isVisibleAscii(path)) {
		throw new Error(`invalid request path ${describe(path)} (it must start with "/" and hold visible ASCII only)`);
	}
	if (typeof host !== 'string' || host === '' || !isVisibleAscii(host) || /[/?#@[\]]/.test(host)) throw new Error(`invalid host ${describe(host)}`);
	if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${describe(port)}`);
	if (body !== undefined && !(body instanceof Uint8Array)) throw new TypeError('request body must be a Uint8Array');
	if (headers === null || typeof headers !== 'object') throw new TypeError('request headers must be an object of strings');

	const authority = host.includes(':') ? `[${host}]` : host;
	let head = `${method} ${path} HTTP/1.1\r\nHost: ${port === DEFAULT_PORT ? authority : `${authority}:${port}`}\r\n`;
	const seen = new Set<string>();
	for (const name of Object.keys(headers)) {
		const value = headers[name];
		if (!isToken(name)) throw new Error(`invalid header name ${describe(name)}`);
		const lower = name.toLowerCase();
		if (RESERVED.includes(lower)) throw new Error(`header "${name}" is set by the HTTP client and cannot be given`);
		if (seen.has(lower)) throw new Error(`header "${name}" is given twice (names are case-insensitive)`);
		seen.add(lower);
		if (typeof value !== 'string') throw new TypeError(`value of header "${name}" must be a string, got ${typeof value}`);
		if (!isHeaderValue(value)) {
			throw new Error(`invalid value for header "${name}": ${describe(value)} (printable ASCII only, no CR/LF, no leading or trailing space)`);
		}
		head += `${name}: ${value}\r\n`;
	}
	if (body !== undefined) head += `Content-Length: ${body.length}\r\n`;
	else if (CONTENT_METHODS.includes(method)) head += 'Content-Length: 0\r\n';
	head += keepAlive ? 'Connection: keep-alive\r\n\r\n' : 'Connection: close\r\n\r\n';

	const headBytes = asciiEncode(head);
	if (body === undefined || body.length === 0) return headBytes;
	const out = new Uint8Array(headBytes.length + body.length);
	out.set(headBytes);
	out.set(body, headBytes.length);
	return out;
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

function isVisibleAscii(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c <= 0x20 || c >= 0x7f) return false;
	}
	return true;
}

/** Printable ASCII and HTAB, not starting or ending with whitespace (which a peer would trim). */
function isHeaderValue(text: string): boolean {
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if ((c < 0x20 && c !== 0x09) || c >= 0x7f) return false;
	}
	return !/^[ \t]|[ \t]$/.test(text);
}

function describe(value: unknown): string {
	if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
	return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}
