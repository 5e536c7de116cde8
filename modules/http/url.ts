/*
 * https URLs for the HTTP client, parsed by hand: XS has no URL class.
 *
 * Only what the agent dials is accepted: `https://host[:port][/path][?query][#fragment]`, with the
 * host a DNS name, a dotted-quad IPv4 address or a bracketed IPv6 address. Everything else is
 * refused with an Error that names the problem, rather than guessed at the way browsers do
 * (no userinfo, no backslashes, no `1.2.3` style IPv4 shorthands, no internationalized names
 * outside punycode). The fragment is dropped, since it is never sent. Non-ASCII characters in the
 * path or query are percent-encoded as UTF-8, as a browser would send them.
 */
import { utf8Encode, toHex } from '../bytes';

export interface HttpsTarget {
	/** Lowercase host name, IPv4 address, or IPv6 address without its brackets. */
	host: string;
	port: number;
	/** Path and query as sent in the request line; at least '/'. */
	path: string;
}

/** The longest URL accepted; far more than any release URL needs. */
export const MAX_URL_LENGTH = 8192;

const DEFAULT_PORT = 443;
const SCHEME = 'https://';

/** Parse an absolute https URL. Throws an Error saying what is wrong with it. */
export function parseHttpsUrl(text: string): HttpsTarget {
	if (typeof text !== 'string') throw new TypeError(`URL must be a string, got ${text === null ? 'null' : typeof text}`);
	const quoted = quote(text);
	if (text.length === 0) throw new Error('URL is empty');
	if (text.length > MAX_URL_LENGTH) throw new Error(`URL is longer than ${MAX_URL_LENGTH} characters`);
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code <= 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) {
			throw new Error(`URL contains ${code === 0x20 ? 'a space' : 'whitespace or a control character'} at ${i}: ${quoted}`);
		}
	}
	if (text.slice(0, SCHEME.length).toLowerCase() !== SCHEME) {
		const colon = text.indexOf(':');
		const scheme = colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(text.slice(0, colon)) ? text.slice(0, colon).toLowerCase() : undefined;
		if (scheme === 'https') throw new Error(`URL must start with https:// (two slashes): ${quoted}`);
		throw new Error(scheme ? `URL must use https: ${quoted}` : `URL must be absolute and start with https://: ${quoted}`);
	}
	const hash = text.indexOf('#');
	const rest = text.slice(SCHEME.length, hash === -1 ? text.length : hash);
	if (rest.includes('\\')) throw new Error(`URL contains a backslash: ${quoted}`);

	let authorityEnd = rest.length;
	for (let i = 0; i < rest.length; i++) {
		const c = rest[i];
		if (c === '/' || c === '?') {
			authorityEnd = i;
			break;
		}
	}
	const authority = rest.slice(0, authorityEnd);
	const pathAndQuery = rest.slice(authorityEnd);
	if (authority.includes('@')) throw new Error(`URL must not contain user information (user:password@): ${quoted}`);
	if (authority === '') throw new Error(`URL has no host: ${quoted}`);

	let hostText: string;
	let portText: string | undefined;
	if (authority[0] === '[') {
		const close = authority.indexOf(']');
		if (close === -1) throw new Error(`URL has an unclosed "[" in its host: ${quoted}`);
		hostText = authority.slice(0, close + 1);
		const after = authority.slice(close + 1);
		if (after !== '') {
			if (after[0] !== ':') throw new Error(`URL has unexpected characters after the IPv6 address: ${quoted}`);
			portText = after.slice(1);
		}
	} else {
		const colon = authority.indexOf(':');
		hostText = colon === -1 ? authority : authority.slice(0, colon);
		if (colon !== -1) portText = authority.slice(colon + 1);
	}

	const host = parseHost(hostText, quoted);
	const port = portText === undefined ? DEFAULT_PORT : parsePort(portText, quoted);
	const path = normalizePath(pathAndQuery, quoted);
	return { host, port, path };
}

function parseHost(text: string, quoted: string): string {
	if (text === '') throw new Error(`URL has no host: ${quoted}`);
	if (text[0] === '[') {
		const address = text.slice(1, -1);
		if (!isIPv6(address)) throw new Error(`URL has an invalid IPv6 address [${address}]: ${quoted}`);
		return address.toLowerCase();
	}
	if (text.includes(']')) throw new Error(`URL has an unexpected "]" in its host: ${quoted}`);
	for (let i = 0; i < text.length; i++) {
		if (text.charCodeAt(i) > 0x7f) throw new Error(`URL host must be ASCII (write internationalized names in punycode, xn--): ${quoted}`);
	}
	const host = text.toLowerCase();
	if (host.length > 253) throw new Error(`URL host is longer than 253 characters: ${quoted}`);
	const labels = host.split('.');
	// A name whose last label is numeric can only be an IPv4 address (as WHATWG URL reads it too).
	if (/^[0-9]+$/.test(labels[labels.length - 1])) {
		if (!isIPv4(host)) throw new Error(`URL has an invalid IPv4 address "${text}" (use four decimal numbers 0-255): ${quoted}`);
		return host;
	}
	for (const label of labels) {
		if (label === '') throw new Error(`URL host "${text}" has an empty label: ${quoted}`);
		if (label.length > 63) throw new Error(`URL host "${text}" has a label longer than 63 characters: ${quoted}`);
		if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
			throw new Error(`URL host "${text}" is not a valid host name (letters, digits, "-" and "." only): ${quoted}`);
		}
	}
	return host;
}

function isIPv4(text: string): boolean {
	const parts = text.split('.');
	if (parts.length !== 4) return false;
	return parts.every((part) => /^(0|[1-9][0-9]{0,2})$/.test(part) && Number(part) <= 255);
}

function isIPv6(text: string): boolean {
	if (text.includes('%')) return false; // zone identifiers mean nothing to a remote server
	let groups = text;
	let width = 8;
	const lastColon = text.lastIndexOf(':');
	if (lastColon !== -1 && text.slice(lastColon + 1).includes('.')) {
		if (!isIPv4(text.slice(lastColon + 1))) return false;
		groups = text.slice(0, lastColon + 1) + '0'; // the IPv4 tail takes two groups; count it as one here
		width = 7;
	}
	const halves = groups.split('::');
	if (halves.length > 2) return false;
	const count = (half: string): number => {
		if (half === '') return 0;
		const parts = half.split(':');
		return parts.every((part) => /^[0-9A-Fa-f]{1,4}$/.test(part)) ? parts.length : -1;
	};
	const head = count(halves[0]);
	if (head < 0) return false;
	if (halves.length === 1) return head === width;
	const tail = count(halves[1]);
	return tail >= 0 && head + tail < width;
}

function parsePort(text: string, quoted: string): number {
	if (text === '') throw new Error(`URL has an empty port: ${quoted}`);
	if (!/^[0-9]{1,5}$/.test(text)) throw new Error(`URL port "${text}" is not a number from 1 to 65535: ${quoted}`);
	const port = Number(text);
	if (port < 1 || port > 65535) throw new Error(`URL port ${port} is out of range 1-65535: ${quoted}`);
	return port;
}

/** The request target: '/' when empty, non-ASCII percent-encoded, percent-escapes checked. */
function normalizePath(text: string, quoted: string): string {
	let path = text === '' || text[0] === '?' ? '/' + text : text;
	for (let i = 0; i < path.length; i++) {
		if (path[i] === '%' && !/^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) {
			throw new Error(`URL has a "%" that is not followed by two hex digits: ${quoted}`);
		}
	}
	let encoded = '';
	let start = 0;
	for (let i = 0; i < path.length; i++) {
		if (path.charCodeAt(i) <= 0x7f) continue;
		let end = i + 1;
		while (end < path.length && path.charCodeAt(end) > 0x7f) end++;
		encoded += path.slice(start, i) + toHex(utf8Encode(path.slice(i, end))).toUpperCase().replace(/(..)/g, '%$1');
		start = end;
		i = end - 1;
	}
	if (start > 0) path = encoded + path.slice(start);
	return path;
}

/** The URL as shown in messages, shortened so an error message stays readable. */
function quote(text: string): string {
	return JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
}
