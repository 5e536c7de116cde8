import test from 'ava';
import { encodeMessage, decodeMessage, describeHandle } from '../../simulator/xs/bridge-codec';

const roundTrip = (value: unknown) => decodeMessage(encodeMessage(value));

// Plain data comes back equal, with undefined kept where JSON would drop or null it.
const plain: unknown[] = [
	null, true, 0, -1.5, 'text', 'ünïcødé ✓', [], [1, [2, [3]]], {}, { a: 1, b: { c: 'd' } },
	{ $b: 'looks like a form' }, { nested: { $f: 1, $h: 2 } },
];
for (const value of plain) {
	test(`plain ${JSON.stringify(value)} round-trips`, (t) => {
		t.deepEqual(roundTrip(value), value);
	});
}

test('undefined survives at top level, in arrays, and is dropped from objects', (t) => {
	t.is(roundTrip(undefined), undefined);
	t.deepEqual(roundTrip([1, undefined, 3]), [1, undefined, 3]);
	t.deepEqual(roundTrip({ a: undefined, b: 1 }), { b: 1 });
});

test('bytes cross as binary segments, ArrayBuffer and views alike', (t) => {
	const big = new Uint8Array(70_000).map((_, i) => i & 0xff);
	const message = encodeMessage({ a: big, b: big.buffer, c: big.subarray(10, 20), d: new DataView(big.buffer, 5, 3) });
	t.true(message.byteLength > 2 * 70_000, 'the bytes themselves are there');
	t.true(message.byteLength < 2 * 70_000 + 300, 'no base64 or JSON arrays of numbers');
	const back = decodeMessage(message) as { a: Uint8Array; b: ArrayBuffer; c: Uint8Array; d: Uint8Array };
	t.true(back.a instanceof Uint8Array);
	t.deepEqual([...back.a], [...big]);
	t.true(back.b instanceof ArrayBuffer, 'an ArrayBuffer stays an ArrayBuffer (a socket read is one)');
	t.deepEqual([...new Uint8Array(back.b)], [...big]);
	t.deepEqual([...back.c], [...big.subarray(10, 20)]);
	t.deepEqual([...back.d], [5, 6, 7]);
});

test('decoded bytes own their buffers: keeping or changing one leaves the others alone', (t) => {
	const back = decodeMessage(encodeMessage([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5])])) as Uint8Array[];
	t.is(back[0].byteOffset, 0);
	t.is(back[0].buffer.byteLength, 3);
	back[0].fill(9);
	t.deepEqual([...back[1]], [4, 5]);
});

test('the message spans its buffer whole, so it can be handed over without a copy', (t) => {
	const message = encodeMessage({ t: 'h', h: 1, m: 'write', a: [new Uint8Array(4096).subarray(100, 200), 0] });
	t.is(message.byteOffset, 0);
	t.is(message.byteLength, message.buffer.byteLength);
});

test('errors keep their class, message and stack', (t) => {
	const range = roundTrip(new RangeError('too big')) as Error;
	t.true(range instanceof RangeError);
	t.is(range.message, 'too big');
	const type = roundTrip(new TypeError('wrong')) as Error;
	t.true(type instanceof TypeError);
	const custom = new Error('custom');
	custom.name = 'UpdateError';
	const back = roundTrip(custom) as Error & { remoteStack?: string };
	t.is(back.name, 'UpdateError');
	t.regex(back.remoteStack ?? '', /custom/);
});

test('functions cross by id and come back as stubs', (t) => {
	const exported: Array<(...a: unknown[]) => unknown> = [];
	const calls: unknown[] = [];
	const message = encodeMessage({ onReadable: (n: number) => n, nested: [() => 1] }, {
		exportFunction: (fn) => exported.push(fn),
	});
	const back = decodeMessage(message, { importFunction: (id) => (...a: unknown[]) => calls.push([id, ...a]) }) as { onReadable: (n: number) => void; nested: [() => void] };
	back.onReadable(5);
	back.nested[0]();
	t.deepEqual(calls, [[1, 5], [2]]);
	t.is(exported.length, 2);
});

test('objects with methods cross by handle where the sender lends them', (t) => {
	class Writer {
		readonly label = 'slot1';
		readonly size = 1024;
		write() {}
		close() {}
	}
	const lent: object[] = [];
	const message = encodeMessage({ ok: new Writer() }, { exportHandle: (o) => lent.push(o) });
	const back = decodeMessage(message, {
		importHandle: (id, props, methods) => ({ id, props, methods }),
	}) as { ok: { id: number; props: Record<string, unknown>; methods: string[] } };
	t.is(back.ok.id, 1);
	t.deepEqual(back.ok.props, { label: 'slot1', size: 1024 });
	t.deepEqual(back.ok.methods.sort(), ['close', 'write']);
	t.true(lent[0] instanceof Writer);
});

test('a plain object of callbacks is sent field by field where nothing is lent', (t) => {
	const ids: number[] = [];
	const message = encodeMessage({ host: 'h', port: 1, onError: () => {} }, { exportFunction: () => ids.push(ids.length + 1) });
	const back = decodeMessage(message, { importFunction: () => () => 'stub' }) as Record<string, unknown>;
	t.is(back.host, 'h');
	t.is(typeof back.onError, 'function');
});

test('what cannot cross is refused with a clear error', (t) => {
	t.throws(() => encodeMessage(() => 1), { message: /cannot send a function/ });
	t.throws(() => encodeMessage(new (class X {})()), { message: /cannot send an object with methods/ });
	t.throws(() => encodeMessage(Symbol('s')), { message: /cannot send a symbol/ });
	t.throws(() => decodeMessage(new Uint8Array([1, 2])), { message: /too short/ });
	t.throws(() => decodeMessage(new Uint8Array([200, 0, 0, 0, 1])), { message: /truncated/ });
});

test('describeHandle finds inherited methods and data properties', (t) => {
	const base = { read() {}, label: 'x' };
	const o = Object.create(base);
	o.size = 3;
	const { props, methods } = describeHandle(o);
	t.deepEqual(methods, ['read']);
	t.deepEqual(props, { size: 3, label: 'x' });
});
