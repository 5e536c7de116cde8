import test from 'ava';
import type { ExecutionContext } from 'ava';
import { NetstringDecoder, NetstringError, encodeNetstring } from '../../simulator/xs/netstring';
import { XsError, XsWorker, XsWorkerExitError } from '../../simulator/xs/xs-worker';
import type { XsWorkerOptions } from '../../simulator/xs/xs-worker';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** Start a worker that is closed (or killed) when the test ends. */
async function startWorker(t: ExecutionContext, options: XsWorkerOptions = {}): Promise<XsWorker> {
	const worker = await XsWorker.start({ name: `test-${t.title.replace(/\W+/g, '-')}`, ...options });
	t.teardown(() => worker.terminate());
	return worker;
}

/** Resolves with the first line printed that satisfies `wanted`: stdout and the reply pipe race. */
function lineCatcher(wanted: (line: string) => boolean) {
	let found: (line: string) => void = () => {};
	const line = new Promise<string>((resolve) => (found = resolve));
	return { line, stdout: (l: string) => wanted(l) && found(l) };
}

test('evaluates a script and returns an ArrayBuffer result as the reply', async (t) => {
	const worker = await startWorker(t);
	const { reply, meter } = await worker.evaluate(`new TextEncoder().encode(String(6 * 7)).buffer`);
	t.is(text(reply), '42');
	t.true(meter.compute > 0, 'compute is metered');
	t.true(meter.allocate > 0);
	t.is(typeof meter.currentHeapCount, 'number');
	// A result that is not an ArrayBuffer yields no bytes.
	t.is((await worker.evaluate('1 + 1')).reply.byteLength, 0);
	await worker.close();
	t.deepEqual(await worker.exited, { code: 0, signal: null });
});

test('print writes lines to stdout', async (t) => {
	const catcher = lineCatcher((l) => l.startsWith('hello'));
	const worker = await startWorker(t, { stdout: catcher.stdout });
	await worker.evaluate(`print('hello', 'from', 'XS', 1 + 2)`);
	t.is(await catcher.line, 'hello from XS 3');
});

test('an exception thrown in XS rejects with its message and leaves the worker usable', async (t) => {
	const worker = await startWorker(t);
	// [code, what XS reports]
	const cases: [string, string][] = [
		[`throw new TypeError('boom')`, 'TypeError: boom'],
		[`throw 'just a string'`, 'just a string'],
		[`undefinedFunction()`, 'ReferenceError'],
		[`(`, 'SyntaxError'],
	];
	for (const [code, expected] of cases) {
		const error = await t.throwsAsync(worker.evaluate(code), { instanceOf: XsError });
		t.true(error?.xsMessage.includes(expected), `${code} → ${error?.xsMessage}`);
		t.true(error?.message.includes(expected));
	}
	t.is(text((await worker.evaluate(`new Uint8Array([111, 107]).buffer`)).reply), 'ok');
	// The worker would exit with 15 after quitting right behind a failed delivery; close() avoids it.
	await t.throwsAsync(worker.evaluate(`throw new Error('last')`));
	await worker.close();
	t.is((await worker.exited).code, 0);
});

test('the worker calls the host synchronously with issueCommand', async (t) => {
	const requests: string[] = [];
	const worker = await startWorker(t, {
		onCommand: (msg) => {
			requests.push(text(msg));
			return `echo:${text(msg)}`;
		},
	});
	const { reply } = await worker.evaluate(`
		const enc = new TextEncoder(), dec = new TextDecoder();
		const a = dec.decode(issueCommand(enc.encode('one').buffer));
		const b = dec.decode(issueCommand(enc.encode('two').buffer));
		enc.encode(a + '|' + b).buffer;
	`);
	t.deepEqual(requests, ['one', 'two']);
	t.is(text(reply), 'echo:one|echo:two');
});

test('a failing host handler makes issueCommand throw in XS and rejects the delivery', async (t) => {
	const worker = await startWorker(t, {
		onCommand: () => {
			throw new Error('host is unhappy');
		},
	});
	// Even when the XS code swallows the failure, the host's error is reported.
	const error = await t.throwsAsync(
		worker.evaluate(`let caught; try { issueCommand(new ArrayBuffer(1)); } catch (e) { caught = e; } print(caught)`),
	);
	t.regex(error?.message ?? '', /host is unhappy/);
	const noHandler = await startWorker(t);
	await t.throwsAsync(noHandler.evaluate(`issueCommand(new ArrayBuffer(0))`), { message: /no onCommand handler/ });
	// The worker keeps working afterwards.
	t.is((await worker.evaluate('1')).reply.byteLength, 0);
});

test('the host calls the worker through handleCommand', async (t) => {
	const worker = await startWorker(t);
	await worker.evaluate(`
		globalThis.handleCommand = (buffer) => {
			const request = new TextDecoder().decode(buffer);
			return new TextEncoder().encode(request.toUpperCase()).buffer;
		};
	`);
	// [request, reply]
	const cases: [string | Uint8Array, string][] = [
		['ping', 'PING'],
		[new TextEncoder().encode('bytes too'), 'BYTES TOO'],
		['', ''],
	];
	for (const [request, expected] of cases) {
		const { reply, meter } = await worker.issueCommand(request);
		t.is(text(reply), expected);
		t.true(meter.compute > 0);
	}
});

test('deliveries are queued one at a time', async (t) => {
	const worker = await startWorker(t);
	await worker.evaluate(`globalThis.log = []; globalThis.handleCommand = (b) => { log.push(b.byteLength); return b; }`);
	const results = await Promise.all([1, 2, 3, 4, 5].map((n) => worker.issueCommand(new Uint8Array(n))));
	t.deepEqual(
		results.map((r) => r.reply.byteLength),
		[1, 2, 3, 4, 5],
	);
	t.is(text((await worker.evaluate(`new TextEncoder().encode(log.join()).buffer`)).reply), '1,2,3,4,5');
});

test('the metering limit kills a runaway loop; the death is reported', async (t) => {
	const worker = await startWorker(t, { meteringLimit: 1_000_000 });
	t.true((await worker.evaluate('let n = 0; for (let i = 0; i < 1000; i++) n += i; n')).meter.compute < 1_000_000);
	const error = await t.throwsAsync(worker.evaluate('for (;;) {}'), { instanceOf: XsWorkerExitError });
	t.is(error?.code, 17);
	t.regex(error?.message ?? '', /too much computation/);
	t.deepEqual(await worker.exited, { code: 17, signal: null });
	await t.throwsAsync(worker.evaluate('1'), { instanceOf: XsWorkerExitError, message: /too much computation/ });
	await t.throwsAsync(worker.issueCommand('x'), { instanceOf: XsWorkerExitError });
	await worker.close(); // closing a dead worker is harmless
});

test('without a limit, long computations complete and are still metered', async (t) => {
	const worker = await startWorker(t, { meteringLimit: 0 });
	const { meter } = await worker.evaluate('let n = 0; for (let i = 0; i < 2e5; i++) n += i; n');
	t.true(meter.compute > 1_000_000);
});

test('a killed worker rejects the delivery in progress and later ones', async (t) => {
	const worker = await startWorker(t, { meteringLimit: 0 });
	const running = worker.evaluate('for (;;) {}');
	setTimeout(() => worker.terminate(), 50);
	await t.throwsAsync(running, { instanceOf: XsWorkerExitError, message: /terminated/ });
	t.is((await worker.exited).signal, 'SIGKILL');
	await t.throwsAsync(worker.evaluate('1'), { message: /terminated/ });
});

test('promise jobs run inside XS before the delivery ends', async (t) => {
	const worker = await startWorker(t);
	await worker.evaluate(`
		globalThis.order = [];
		(async () => { order.push('async start'); await null; order.push('after await'); globalThis.answer = 42; })();
		Promise.resolve().then(() => order.push('then'));
		setImmediate(() => order.push('immediate'));
		order.push('sync end');
	`);
	const { reply } = await worker.evaluate(`new TextEncoder().encode(JSON.stringify({ order, answer })).buffer`);
	t.deepEqual(JSON.parse(text(reply)), {
		order: ['async start', 'sync end', 'after await', 'then', 'immediate'],
		answer: 42,
	});
});

test('XS globals: what exists and what does not', async (t) => {
	const worker = await startWorker(t);
	const { reply } = await worker.evaluate(`
		const names = ['setTimeout', 'setInterval', 'queueMicrotask', 'console', 'structuredClone', 'URL',
			'setImmediate', 'print', 'issueCommand', 'TextEncoder', 'harden', 'Compartment'];
		new TextEncoder().encode(JSON.stringify(Object.fromEntries(names.map((n) => [n, typeof globalThis[n]])))).buffer;
	`);
	t.deepEqual(JSON.parse(text(reply)), {
		setTimeout: 'undefined',
		setInterval: 'undefined',
		queueMicrotask: 'undefined',
		console: 'undefined',
		structuredClone: 'undefined',
		URL: 'undefined',
		setImmediate: 'function',
		print: 'function',
		issueCommand: 'function',
		TextEncoder: 'function',
		harden: 'function',
		Compartment: 'function',
	});
});

test('bad arguments get clear errors', async (t) => {
	await t.throwsAsync(XsWorker.start({ meteringLimit: -1 }), { message: /meteringLimit/ });
	await t.throwsAsync(XsWorker.start({ meteringLimit: 1.5 }), { message: /meteringLimit/ });
	await t.throwsAsync(XsWorker.start({ name: '-l' }), { message: /name/ });
	const worker = await startWorker(t);
	await t.throwsAsync(worker.evaluate(42 as unknown as string), { instanceOf: TypeError });
	await t.throwsAsync(worker.issueCommand({} as unknown as string), { instanceOf: TypeError });
	await worker.close();
	await t.throwsAsync(worker.evaluate('1'), { message: /closed/ });
});

// ---- the framing ----

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test('netstring: encodes one payload or several parts', (t) => {
	t.is(text(encodeNetstring(bytes('hello'))), '5:hello,');
	t.is(text(encodeNetstring([bytes('e'), bytes('1+1')])), '4:e1+1,');
	t.is(text(encodeNetstring(new Uint8Array(0))), '0:,');
	t.is(text(encodeNetstring(bytes('ü'))), '2:ü,', 'the length counts bytes');
});

test('netstring: decodes whatever the chunking', (t) => {
	const stream = bytes('5:hello,0:,3:a,b,10:x\u0001{meter}y,');
	const expected = ['hello', '', 'a,b', 'x\u0001{meter}y'];
	// chunk sizes to cut the stream into
	for (const size of [1, 2, 3, 7, stream.byteLength]) {
		const decoder = new NetstringDecoder();
		const out: string[] = [];
		for (let i = 0; i < stream.byteLength; i += size) out.push(...decoder.push(stream.subarray(i, i + size)).map(text));
		t.deepEqual(out, expected, `chunks of ${size}`);
		t.true(decoder.idle);
		t.notThrows(() => decoder.end());
	}
});

test('netstring: bad framing fails clearly and for good', (t) => {
	// [input, what the error says]
	const cases: [string, RegExp][] = [
		[':x,', /length is empty/],
		['3:abc;', /not terminated by ','/],
		['x:', /unexpected byte 0x78/],
		['03:abc,', /leading zero/],
		['11:hello world,', /exceeds the limit of 10 bytes/],
		['123456789012:', /exceeds the limit/],
	];
	for (const [input, message] of cases) {
		const decoder = new NetstringDecoder({ maxLength: 10 });
		t.throws(() => decoder.push(bytes(input)), { instanceOf: NetstringError, message }, input);
		t.throws(() => decoder.push(bytes('0:,')), { instanceOf: NetstringError }, 'stays failed');
	}
	const partial = new NetstringDecoder();
	partial.push(bytes('5:hel'));
	t.throws(() => partial.end(), { message: /ended inside a netstring/ });
	t.throws(() => new NetstringDecoder({ maxLength: -1 }), { message: /maxLength/ });
});
