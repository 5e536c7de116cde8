/*
 * Self-checks that run inside the XS engine: test/xs/pure-logic.test.ts bundles this file with
 * bundleForXs, evaluates it in an xsnap worker, and receives the results through one
 * `issueCommand` carrying JSON (a PureLogicReport). It proves that the agent's pure modules behave
 * on the device's engine as they do under Node, and pins down what the engine offers.
 *
 * To check a module: import it, then add a `covering('modules/<path>', () => { ... })` block of
 * `check(name, fn)` calls. The ava side requires every module in its PURE_MODULES list that
 * exists on disk to be covered here. A check passes when `fn` returns (or its promise resolves);
 * there are no timers in XS, so asynchronous checks may only wait on promises and setImmediate.
 */
import type { XsGlobals } from './xs-globals';
import { asciiEncode, concatBytes, latin1Decode, toBytes, toHex, utf8Decode, utf8Encode } from '../../modules/bytes';
import { CheckinError, checkinBody, parseCheckinAnswer } from '../../modules/checkin';
import { HttpError, ResponseParser } from '../../modules/http/response-parser';
import type { ResponseHead } from '../../modules/http/response-parser';
import { parseHttpsUrl } from '../../modules/http/url';
import { compareSemver, parseSemver, semverSatisfies } from '../../modules/semver';
import { nextMatch, parseCron } from '../../modules/schedule/cron';
import { durationMs } from '../../modules/schedule/duration';
import { backoffDelay } from '../../modules/backoff';
import { seededRandom } from '../../modules/random';
import { verdictOf } from '../../modules/verdict';

export interface CheckResult {
	/** `<module> › <what>`, or `xs › <what>` for checks of the engine itself. */
	name: string;
	/** The module the check covers (`modules/semver`), or `xs`. */
	module: string;
	ok: boolean;
	/** Why it failed. */
	message?: string;
}

/** What the checks send to the host, one `issueCommand` each. */
export type PureLogicMessage =
	/** Sent before each check runs, so that the host can name the check if the engine aborts. */
	| { kind: 'check-start'; name: string }
	| { kind: 'pure-logic-report'; results: CheckResult[] };

const xs = globalThis as unknown as XsGlobals;

// ---- harness ----

interface Check {
	name: string;
	module: string;
	fn: () => void | Promise<void>;
}

const checks: Check[] = [];
let currentModule = 'xs';

/** Tag the checks registered by `body` as covering `module`. */
function covering(module: string, body: () => void): void {
	const outer = currentModule;
	currentModule = module;
	try {
		body();
	} finally {
		currentModule = outer;
	}
}

function check(name: string, fn: () => void | Promise<void>): void {
	checks.push({ name: `${currentModule} › ${name}`, module: currentModule, fn });
}

class AssertionError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'AssertionError';
	}
}

function show(value: unknown): string {
	if (typeof value === 'bigint') return `${value}n`;
	if (value === undefined) return 'undefined';
	if (typeof value === 'function') return `[function ${value.name}]`;
	try {
		return JSON.stringify(value) ?? String(value);
	} catch {
		return String(value);
	}
}

function deepEqual(a: unknown, b: unknown): boolean {
	if (Object.is(a, b)) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
	if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
		const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
		const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
		return x.length === y.length && x.every((byte, i) => byte === y[i]);
	}
	const keysA = Object.keys(a);
	const keysB = Object.keys(b);
	if (keysA.length !== keysB.length) return false;
	return keysA.every(
		(key) => Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
	);
}

function assert(condition: unknown, message: string): asserts condition {
	if (!condition) throw new AssertionError(message);
}

function assertEqual(actual: unknown, expected: unknown, what = 'value'): void {
	if (!deepEqual(actual, expected)) throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** `fn` must throw an instance of `type` whose message matches `pattern`. */
function assertThrows(fn: () => unknown, type: new (...args: never[]) => Error, pattern?: RegExp): void {
	try {
		fn();
	} catch (error) {
		assert(error instanceof type, `expected a ${type.name}, got ${show(String(error))}`);
		if (pattern) assert(pattern.test(error.message), `error message ${show(error.message)} does not match ${pattern}`);
		return;
	}
	throw new AssertionError(`expected a ${type.name} to be thrown, nothing was`);
}

async function runChecks(): Promise<CheckResult[]> {
	const results: CheckResult[] = [];
	for (const { name, module, fn } of checks) {
		send({ kind: 'check-start', name });
		try {
			await fn();
			results.push({ name, module, ok: true });
		} catch (error) {
			const message = error instanceof Error ? `${error.name}: ${error.message}` : show(error);
			results.push({ name, module, ok: false, message });
		}
	}
	return results;
}

function send(message: PureLogicMessage): void {
	const bytes = new xs.TextEncoder().encode(JSON.stringify(message));
	xs.issueCommand(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

function report(results: CheckResult[]): void {
	send({ kind: 'pure-logic-report', results });
}

// ---- the engine ----

covering('xs', () => {
	check('host timers and console are absent', () => {
		const g = globalThis as Record<string, unknown>;
		for (const name of ['setTimeout', 'setInterval', 'clearTimeout', 'queueMicrotask', 'console', 'structuredClone']) {
			assertEqual(typeof g[name], 'undefined', `typeof ${name}`);
		}
	});

	check('promise jobs run in order, before setImmediate callbacks', async () => {
		const order: string[] = [];
		const immediate = new Promise<void>((resolve) =>
			xs.setImmediate(() => {
				order.push('immediate');
				resolve();
			}),
		);
		const task = (async () => {
			order.push('async body');
			await null;
			order.push('after await');
		})();
		void Promise.resolve().then(() => order.push('then'));
		order.push('sync');
		await task;
		await immediate;
		assertEqual(order, ['async body', 'sync', 'after await', 'then', 'immediate'], 'order');
	});

	check('ES2022 built-ins the agent relies on', () => {
		assertEqual([1, 2, 3].at(-1), 3, 'Array.prototype.at');
		assertEqual(Object.hasOwn({ a: 1 }, 'a'), true, 'Object.hasOwn');
		assertEqual('a-b-c'.replaceAll('-', '+'), 'a+b+c', 'replaceAll');
		assertEqual(new Error('outer', { cause: 'inner' }).cause, 'inner', 'Error cause');
		assertEqual(/(?<major>\d+)\.(?<minor>\d+)/.exec('v12.3')?.groups?.minor, '3', 'named groups');
		assertEqual(2n ** 64n, 18446744073709551616n, 'BigInt');
		class Counter {
			#count = 0;
			static #instances = 0;
			constructor() {
				Counter.#instances++;
			}
			bump() {
				return ++this.#count;
			}
			static get instances() {
				return Counter.#instances;
			}
		}
		const counter = new Counter();
		counter.bump();
		assertEqual(counter.bump(), 2, 'private fields');
		assertEqual(Counter.instances, 1, 'static private fields');
	});

	check('typed arrays and DataView read both byte orders', () => {
		const view = new DataView(new Uint8Array([0x12, 0x34, 0x56, 0x78]).buffer);
		assertEqual(view.getUint32(0), 0x12345678, 'big-endian');
		assertEqual(view.getUint32(0, true), 0x78563412, 'little-endian');
		assertEqual(Array.from(new Uint8Array([1, 2, 3, 4]).subarray(1, 3)), [2, 3], 'subarray');
	});

	check('JSON round-trips non-ASCII text', () => {
		const value = { text: 'Größe ✓ 🚀', n: -1.5e-7 };
		assertEqual(JSON.parse(JSON.stringify(value)), value, 'round trip');
	});

	check('Date.now is the real time', () => {
		assert(Date.now() > Date.UTC(2024, 0, 1), `Date.now() is ${Date.now()}`);
	});
});

// ---- modules/semver ----

covering('modules/semver', () => {
	check('parses valid versions', () => {
		// [text, major, minor, patch, prerelease, build]
		const table: [string, number, number, number, (string | number)[], string[]][] = [
			['0.0.0', 0, 0, 0, [], []],
			['1.2.3', 1, 2, 3, [], []],
			['1.0.0-alpha.1', 1, 0, 0, ['alpha', 1], []],
			['1.0.0-0.3.7', 1, 0, 0, [0, 3, 7], []],
			['1.0.0-x-y-z.--', 1, 0, 0, ['x-y-z', '--'], []],
			['1.0.0+20130313144700', 1, 0, 0, [], ['20130313144700']],
			['1.0.0-beta+exp.sha.5114f85', 1, 0, 0, ['beta'], ['exp', 'sha', '5114f85']],
			['9007199254740991.0.0', 9007199254740991, 0, 0, [], []],
		];
		for (const [text, major, minor, patch, prerelease, build] of table) {
			const parsed = parseSemver(text);
			assertEqual(parsed, { major, minor, patch, prerelease, build, raw: text }, text);
		}
	});

	check('refuses invalid versions', () => {
		// Each is not strict SemVer 2.0.0.
		const table: unknown[] = [
			'', '1', '1.2', '1.2.3.4', 'v1.2.3', '=1.2.3', ' 1.2.3', '1.2.3 ', '01.2.3', '1.02.3', '1.2.03',
			'1.2.3-', '1.2.3-01', '1.2.3-a..b', '1.2.3+', '1.2.3+a..b', '1.2.3-é', '9007199254740992.0.0',
			`1.2.3-${'a'.repeat(300)}`, 1, null, undefined, {}, ['1.2.3'],
		];
		for (const text of table) assertEqual(parseSemver(text), null, show(text));
	});

	check('orders versions by precedence (SemVer spec §11)', () => {
		// Strictly increasing.
		const ladder = [
			'1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11',
			'1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0', '10.0.0',
		];
		for (let i = 0; i < ladder.length; i++) {
			for (let j = 0; j < ladder.length; j++) {
				const expected = i < j ? -1 : i > j ? 1 : 0;
				assertEqual(compareSemver(ladder[i], ladder[j]), expected, `compare(${ladder[i]}, ${ladder[j]})`);
			}
		}
		assertEqual(compareSemver('1.0.0+build.1', '1.0.0+build.2'), 0, 'build metadata is ignored');
	});

	check('semverSatisfies applies each operator', () => {
		// [a, operator, b, holds]
		const table: [string, '<' | '<=' | '>' | '>=' | '==' | '!=' | '=', string, boolean][] = [
			['1.2.0', '>=', '1.1.9', true],
			['1.2.0', '<', '1.2.0', false],
			['1.2.0', '<=', '1.2.0', true],
			['1.2.0-rc.1', '<', '1.2.0', true],
			['2.0.0', '>', '1.99.99', true],
			['1.0.0', '==', '1.0.0+meta', true],
			['1.0.0', '=', '1.0.1', false],
			['1.0.0', '!=', '1.0.1', true],
		];
		for (const [a, op, b, holds] of table) assertEqual(semverSatisfies(a, op, b), holds, `${a} ${op} ${b}`);
	});

	check('bad input throws TypeErrors that say what was wrong', () => {
		assertThrows(() => compareSemver('1.2', '1.2.3'), TypeError, /Invalid version: "1\.2"/);
		assertThrows(() => semverSatisfies('1.2.3', '~>' as '<', '1.2.3'), TypeError, /operator/);
		assertThrows(() => compareSemver(42 as unknown as string, '1.2.3'), TypeError, /Invalid version/);
	});
});

// ---- modules/bytes ----

covering('modules/bytes', () => {
	check('UTF-8 round-trips text across all sequence lengths', () => {
		// [text, hex of its UTF-8 bytes]
		const table: [string, string][] = [
			['', ''],
			['A', '41'],
			['é', 'c3a9'],
			['€', 'e282ac'],
			['🚀', 'f09f9a80'],
			['a€🚀', '61e282acf09f9a80'],
		];
		for (const [text, hex] of table) {
			assertEqual(toHex(utf8Encode(text)), hex, `encode ${show(text)}`);
			assertEqual(utf8Decode(utf8Encode(text)), text, `round trip ${show(text)}`);
		}
		assertEqual(toHex(utf8Encode('\ud800x')), 'efbfbd78', 'a lone surrogate becomes U+FFFD');
	});

	check('UTF-8 decoding replaces invalid sequences as TextDecoder does', () => {
		// overlong, surrogate, past U+10FFFF, truncated: 10 replacement characters (as Node decodes it)
		const bad = new Uint8Array([0x61, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xe2, 0x82]);
		assertEqual(utf8Decode(bad), `a${'\ufffd'.repeat(10)}`, 'decoded');
	});

	// XS aborts (the device resets) rather than throwing when a call overflows its stack, and
	// f.apply(null, array) puts every element on that stack: xsnap's 4096 slots are not enough
	// for 4000 arguments, and device builds usually have fewer.
	check('decoders stay within the XS stack on long inputs', () => {
		const long = 'ü'.repeat(10000);
		assertEqual(utf8Decode(utf8Encode(long)), long, 'utf8Decode');
		const bytes = new Uint8Array(10000).fill(0x41);
		assertEqual(latin1Decode(bytes), 'A'.repeat(10000), 'latin1Decode');
	});

	check('ASCII, Latin-1, hex and concatenation', () => {
		assertEqual(Array.from(asciiEncode('GET /')), [71, 69, 84, 32, 47], 'asciiEncode');
		assertThrows(() => asciiEncode('é'), RangeError, /U\+00E9 at 0/);
		assertEqual(latin1Decode(new Uint8Array([0x48, 0xe9, 0xff])), 'H\u00e9\u00ff', 'latin1Decode');
		assertEqual(toHex(new Uint8Array([0, 15, 16, 255]).buffer), '000f10ff', 'toHex of an ArrayBuffer');
		assertEqual(Array.from(concatBytes([new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3])])), [1, 2, 3], 'concat');
		assertThrows(() => toBytes('abc' as unknown as Uint8Array), TypeError, /Uint8Array or an ArrayBuffer/);
	});
});

// ---- modules/http/url ----

covering('modules/http/url', () => {
	check('parses the https URLs the agent dials', () => {
		// [url, host, port, path]
		const table: [string, string, number, string][] = [
			['https://updates.example.com:8443/fw/v1.bin?x=1', 'updates.example.com', 8443, '/fw/v1.bin?x=1'],
			['https://Example.COM', 'example.com', 443, '/'],
			['https://[::1]/a#frag', '::1', 443, '/a'],
			['https://192.168.1.10/img', '192.168.1.10', 443, '/img'],
		];
		for (const [url, host, port, path] of table) assertEqual(parseHttpsUrl(url), { host, port, path }, url);
	});

	check('refuses other URLs, saying why', () => {
		// [url, what the error says]
		const table: [string, RegExp][] = [
			['http://x/', /must use https/],
			['https://u:p@x/', /user information/],
			['https://x:0/', /out of range/],
			['https:///a', /no host/],
			['', /empty/],
		];
		for (const [url, message] of table) assertThrows(() => parseHttpsUrl(url), Error, message);
	});
});

// ---- modules/http/response-parser ----

interface Parsed {
	head?: ResponseHead;
	body: string;
	complete: boolean;
}

/** Feed `response` to a parser in pieces of `piece` bytes, then signal the close if asked. */
function parseResponse(response: string, piece: number, options: { method?: string; close?: boolean } = {}): Parsed {
	const parsed: Parsed = { body: '', complete: false };
	const chunks: Uint8Array[] = [];
	const parser = new ResponseParser(
		{
			onHead: (head) => (parsed.head = head),
			onBody: (bytes) => chunks.push(bytes.slice()),
			onComplete: () => (parsed.complete = true),
		},
		{ method: options.method },
	);
	const bytes = utf8Encode(response);
	for (let at = 0; at < bytes.length; at += piece) parser.execute(bytes.subarray(at, at + piece));
	if (options.close) parser.finish();
	parsed.body = utf8Decode(concatBytes(chunks));
	return parsed;
}

covering('modules/http/response-parser', () => {
	check('parses each body framing, whatever the split', () => {
		// [response, request method, close the connection at the end, status, headers, body]
		const table: [string, string, boolean, number, Record<string, string>, string][] = [
			['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', 'GET', false, 200, { 'content-length': '5' }, 'hello'],
			[
				'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n',
				'GET', false, 200, { 'transfer-encoding': 'chunked' }, 'hello world',
			],
			['HTTP/1.0 200 OK\nServer: x\n\nuntil close', 'GET', true, 200, { server: 'x' }, 'until close'],
			['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n', 'GET', false, 204, {}, ''],
			['HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', 'HEAD', false, 200, { 'content-length': '99' }, ''],
			['HTTP/1.1 200 OK\r\nA: 1\r\na: 2\r\nContent-Length: 2\r\n\r\nü', 'GET', false, 200, { a: '1, 2', 'content-length': '2' }, 'ü'],
		];
		for (const [response, method, close, status, headers, body] of table) {
			for (const piece of [1, 2, 7, response.length * 2]) {
				const parsed = parseResponse(response, piece, { method, close });
				const what = `${show(response.slice(0, 40))} in pieces of ${piece}`;
				assertEqual(parsed.head?.status, status, `${what}: status`);
				assertEqual(parsed.head?.headers, headers, `${what}: headers`);
				assertEqual(parsed.body, body, `${what}: body`);
				assertEqual(parsed.complete, true, `${what}: complete`);
			}
		}
	});

	check('broken responses fail with the right HttpError code', () => {
		// [response, close the connection at the end, expected code]
		const table: [string, boolean, string][] = [
			['HTTX/1.1 200 OK\r\n\r\n', false, 'BAD_STATUS_LINE'],
			['HTTP/1.1 2000 OK\r\n\r\n', false, 'BAD_STATUS_LINE'],
			['HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n', false, 'BAD_HEADER'],
			['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', false, 'BAD_CONTENT_LENGTH'],
			['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', false, 'BAD_CONTENT_LENGTH'],
			['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', false, 'BAD_TRANSFER_ENCODING'],
			['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', false, 'BAD_CHUNK_SIZE'],
			['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab', false, 'BODY_TOO_LONG'],
			['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nx', false, 'EXTRA_BYTES'],
			['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', true, 'TRUNCATED_BODY'],
			['HTTP/1.1 200 OK\r\nContent-', true, 'CONNECTION_CLOSED'],
		];
		for (const [response, close, code] of table) {
			try {
				parseResponse(response, 3, { close });
			} catch (error) {
				assert(error instanceof HttpError, `${show(response)}: expected an HttpError, got ${show(String(error))}`);
				assertEqual(error.code, code, `${show(response)}: code`);
				continue;
			}
			throw new AssertionError(`${show(response)}: expected HttpError ${code}, parsed without error`);
		}
	});

	check('the header section is capped', () => {
		const response = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(200)}\r\n\r\n`;
		const parser = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { maxHeaderBytes: 64 });
		assertThrows(() => parser.execute(utf8Encode(response)), HttpError, /larger than 64 bytes/);
		assertThrows(() => new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} }, { maxHeaderBytes: 1 }), RangeError);
	});
});

// ---- modules/checkin ----

covering('modules/checkin', () => {
	check('the check-in body puts the versions last', () => {
		const body = checkinBody({ id: 'd1', version: 'stale', model: 'esp32' }, '1.2.3', '0.1.0');
		assertEqual(JSON.parse(body), { id: 'd1', version: '1.2.3', model: 'esp32', iotoVersion: '0.1.0' }, 'body');
		assertThrows(() => checkinBody({}, '1.2', '0.1.0'), CheckinError, /not SemVer/);
		assertThrows(() => checkinBody(null as unknown as Record<string, unknown>, '1.2.3', '0.1.0'), CheckinError, /object/);
	});

	check('reads offers and refusals from the cloud', () => {
		const checksum = 'AB'.repeat(32);
		assertEqual(
			parseCheckinAnswer({ url: 'https://a.example/i.bin', checksum, version: '1.2.4', update: 7, size: 10 }),
			{
				kind: 'offer',
				offer: { url: 'https://a.example/i.bin', checksum: 'ab'.repeat(32), version: '1.2.4', update: '7', size: 10 },
			},
			'offer',
		);
		assertEqual(parseCheckinAnswer({ message: 'up to date' }), { kind: 'none', message: 'up to date' }, 'none');
		// [answer, what the error says]
		const table: [unknown, RegExp][] = [
			[[], /not a JSON object/],
			[{ url: 'http://a.example/i.bin', checksum, version: '1.2.4', update: 'u' }, /https/],
			[{ url: 'https://a.example/i.bin', checksum: 'abc', version: '1.2.4', update: 'u' }, /checksum/],
			[{ url: 'https://a.example/i.bin', checksum, version: 'v1', update: 'u' }, /version/],
			[{ url: 'https://a.example/i.bin', checksum, version: '1.2.4' }, /update/],
			[{ url: 'https://a.example/i.bin', checksum, version: '1.2.4', update: 'u', size: -1 }, /size/],
		];
		for (const [answer, message] of table) assertThrows(() => parseCheckinAnswer(answer), CheckinError, message);
	});
});

covering('modules/schedule/cron', () => {
	check('finds the next window in local time', () => {
		const from = new Date(2026, 0, 10, 12, 0).getTime();
		assertEqual(nextMatch(parseCron('workhours'), from), new Date(2026, 0, 12, 9, 0).getTime(), 'workhours');
		assertEqual(nextMatch(parseCron('*/15 * * * *'), new Date(2026, 0, 5, 10, 7).getTime()), new Date(2026, 0, 5, 10, 15).getTime(), 'step');
		assertEqual(nextMatch(parseCron('never'), from), Infinity, 'never');
		assertThrows(() => parseCron('* * *'), SyntaxError, /5 fields/);
	});
});

covering('modules/schedule/duration', () => {
	check('reads Ioto durations', () => {
		assertEqual(durationMs('24 hrs', 'k'), 86_400_000, '24 hrs');
		assertEqual(durationMs(30, 'k'), 30_000, '30');
		assertThrows(() => durationMs('soon', 'update.period'), RangeError, /update\.period/);
	});
});

covering('modules/backoff', () => {
	check('backs off with seeded jitter under the cap', () => {
		const random = seededRandom('device-7');
		const delays = [1, 2, 3, 4, 20].map((n) => backoffDelay(n, random, { base: 100, cap: 1000 }));
		assert(delays.every((d, i) => d >= 0 && d < Math.min(1000, 100 * 2 ** i)), `delays ${delays.join(',')}`);
		const again = seededRandom('device-7');
		assertEqual([1, 2, 3, 4, 20].map((n) => backoffDelay(n, again, { base: 100, cap: 1000 })), delays, 'reproducible');
	});
});

covering('modules/verdict', () => {
	check('a veto wins over a defer', () => {
		assertEqual(verdictOf(['defer', { action: 'veto', reason: 'no' }]), { action: 'veto', reason: 'no' }, 'veto');
		assertEqual(verdictOf([undefined]), { action: 'accept' }, 'accept');
	});
});

void runChecks().then(report, (error: unknown) => {
	report([{ name: 'harness', module: 'harness', ok: false, message: `the harness failed: ${show(String(error))}` }]);
});
