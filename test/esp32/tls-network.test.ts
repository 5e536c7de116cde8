/* The ESP32 host's TLS network port over (fakes of) Moddable's Socket and SecureSocket. */
import test from 'ava';
import type { SocketOptions } from '../../modules/ports';
import { createTlsNetwork, describeFailure, EARLIEST_TIME } from '../../hosts/esp32/tls-network';
import { ByteQueue } from '../../hosts/esp32/byte-queue';
import { FakeRawSocket, FakeSecureSocket, resetFakes, type FakeSecureOptions } from './fake-moddable-sockets';

interface Seen {
	events: string[];
	errors: string[];
	readable: number[];
}

function setup(options: { pace?: { highWater: number }; now?: number; secure?: FakeSecureOptions } = {}) {
	resetFakes(options.secure);
	const deferred: (() => void)[] = [];
	const network = createTlsNetwork({
		Socket: FakeRawSocket,
		SecureSocket: FakeSecureSocket,
		certificate: { ca: true },
		defer: (callback) => deferred.push(callback),
		now: () => options.now ?? Date.UTC(2026, 0, 1),
		pace: options.pace,
	});
	const seen: Seen = { events: [], errors: [], readable: [] };
	const callbacks = (extra: Partial<SocketOptions> = {}): SocketOptions => ({
		host: 'cloud.example',
		port: 8443,
		onConnect: () => seen.events.push('connect'),
		onReadable: (count) => seen.readable.push(count),
		onWritable: (count) => seen.events.push(`writable ${count}`),
		onEnd: () => seen.events.push('end'),
		onError: (message) => seen.errors.push(message),
		...extra,
	});
	const runDeferred = () => {
		while (deferred.length) deferred.shift()!();
	};
	return { network, seen, callbacks, runDeferred, raw: () => FakeRawSocket.instances[0], secure: () => FakeSecureSocket.instances[0] };
}

const bytes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => (from + i) & 0xff);

function readAll(socket: { read(max?: number): ArrayBuffer | undefined }, max?: number): number[] {
	const out: number[] = [];
	for (let chunk = socket.read(max); chunk; chunk = socket.read(max)) out.push(...new Uint8Array(chunk));
	return out;
}

test('the TLS socket is opened with the host for the name check, the CA and TLS 1.2', (t) => {
	const { network, callbacks, secure, raw } = setup();
	network.connect(callbacks());
	t.is(raw().host, 'cloud.example');
	t.is(raw().port, 8443);
	t.is(secure().host, 'cloud.example');
	t.deepEqual(secure().secure, { certificate: { ca: true }, protocolVersion: 0x303, verify: true });
});

test('connect, write in pieces that fit, read what arrives', (t) => {
	const { network, seen, callbacks, raw } = setup();
	const socket = network.connect(callbacks());
	raw().room = 600; // SecureSocket takes 600 - 128 at a time
	socket.write(new Uint8Array(bytes(1000)));
	t.deepEqual(raw().sent, [], 'nothing goes out before the handshake');
	raw().connect();
	t.deepEqual(seen.events, ['connect', 'writable 472']);
	t.deepEqual(raw().sent, bytes(1000), 'sent whole, in pieces of at most the room');
	raw().receive(bytes(3000, 7));
	t.is(seen.readable.at(-1), 3000);
	t.deepEqual(readAll(socket, 700), bytes(3000, 7));
	t.is(socket.read(), undefined);
});

test('bytes already received stay readable after the peer closes; then onEnd', (t) => {
	const { network, seen, callbacks, raw } = setup();
	const socket = network.connect(callbacks());
	raw().connect();
	raw().receive(bytes(100));
	raw().drop(-1);
	t.true(seen.events.includes('end'));
	t.deepEqual(seen.errors, []);
	t.deepEqual(readAll(socket), bytes(100));
});

// [what happens, stage it happens at, words the agent's message must carry]
const failures: [string, (raw: FakeRawSocket) => void, FakeSecureOptions, RegExp][] = [
	['TCP refused', (raw) => raw.drop(-2), {}, /cannot connect to cloud\.example:8443/],
	['closed before connecting', (raw) => raw.drop(-1), {}, /closed before it opened/],
	['certificate refused', (raw) => raw.connect(), { refuse: true }, /TLS handshake with cloud\.example:8443 failed: certificate/],
	['broken after open', (raw) => { raw.connect(); raw.drop(-2); }, {}, /connection to cloud\.example:8443 broke/],
];
for (const [name, act, secure, message] of failures) {
	test(`a failure is one onError that says what failed: ${name}`, (t) => {
		const { network, seen, callbacks, raw, runDeferred } = setup({ secure });
		network.connect(callbacks());
		act(raw());
		t.is(seen.errors.length, 1);
		t.regex(seen.errors[0], message);
		t.false(raw().closed, 'not from inside the socket\'s own callback');
		runDeferred();
		t.true(raw().closed, 'the TCP socket is released on the next turn');
	});
}

test('the failure words match what the agent files as TLS', (t) => {
	t.regex(describeFailure('handshake', -2, 'h', 1), /tls|handshake|certificate/i);
	t.regex(describeFailure('handshake', -1, 'h', 1), /TLS handshake/);
	t.notRegex(describeFailure('tcp', -2, 'h', 1), /tls|handshake|certificate/i);
});

test('an unset clock fails the connection (later, not inside connect) without dialling', (t) => {
	const { network, seen, callbacks, runDeferred } = setup({ now: EARLIEST_TIME - 1 });
	network.connect(callbacks());
	t.deepEqual(seen.errors, [], 'never from inside connect()');
	runDeferred();
	t.regex(seen.errors[0], /device clock is not set/);
	t.is(FakeRawSocket.instances.length, 0);
});

test('nothing is reported after close(), and close() is idempotent', (t) => {
	const { network, seen, callbacks, raw, runDeferred } = setup();
	const socket = network.connect(callbacks());
	raw().connect();
	socket.close();
	socket.close();
	runDeferred();
	t.true(raw().closed);
	t.throws(() => socket.write(new Uint8Array(1)), { message: /closed/ });
	t.is(socket.read(), undefined);
	const before = [...seen.events];
	raw().incoming.push(1, 2, 3);
	raw().callback(2, 3);
	raw().callback(-2);
	t.deepEqual(seen.events, before);
	t.deepEqual(seen.errors, []);
	t.deepEqual(seen.readable, []);
});

test('with pacing, a fast peer is held back: the queue stays bounded and every byte arrives in order', (t) => {
	const highWater = 4096;
	const { network, callbacks, raw, runDeferred } = setup({ pace: { highWater }, secure: { record: 2000 } });
	const socket = network.connect(callbacks());
	raw().connect();
	const total = 50_000;
	raw().receive(bytes(total, 3));
	let peak = 0;
	const got: number[] = [];
	for (let rounds = 0; rounds < 1000 && got.length < total; rounds++) {
		peak = Math.max(peak, total - got.length - raw().incoming.length);
		const chunk = socket.read(1000);
		if (chunk) got.push(...new Uint8Array(chunk));
		runDeferred();
	}
	t.deepEqual(got, bytes(total, 3));
	t.true(peak <= highWater + 2000, `queued at most highWater + one record (${peak})`);
	t.true(raw().incoming.length === 0);
});

test('with pacing, a close that arrives while paused waits for the bytes before it', (t) => {
	const { network, seen, callbacks, raw, runDeferred } = setup({ pace: { highWater: 2048 }, secure: { record: 1024 } });
	const socket = network.connect(callbacks());
	raw().connect();
	raw().receive(bytes(8000));
	raw().drop(-1);
	t.false(seen.events.includes('end'), 'held while bytes wait in the socket');
	const got: number[] = [];
	for (let rounds = 0; rounds < 100 && !seen.events.includes('end'); rounds++) {
		got.push(...readAll(socket));
		runDeferred();
	}
	got.push(...readAll(socket));
	t.true(seen.events.includes('end'));
	t.deepEqual(got, bytes(8000));
});

test('without pacing everything is taken at once (desktop sockets drop what is not read)', (t) => {
	const { network, callbacks, raw } = setup();
	const socket = network.connect(callbacks());
	raw().connect();
	raw().receive(bytes(20_000));
	t.is(raw().incoming.length, 0);
	t.is(readAll(socket).length, 20_000);
});

test('a high water mark below 1024 bytes is refused', (t) => {
	t.throws(() => createTlsNetwork({ Socket: FakeRawSocket, SecureSocket: FakeSecureSocket, certificate: {}, defer: () => {}, now: Date.now, pace: { highWater: 100 } }), { instanceOf: RangeError });
});

test('the byte queue hands out whole buffers without copying and cuts the rest', (t) => {
	const queue = new ByteQueue();
	const first = Uint8Array.of(1, 2, 3).buffer;
	queue.push(first);
	queue.push(Uint8Array.of(4, 5).buffer);
	t.is(queue.size, 5);
	t.is(queue.read(3), first, 'a whole buffer is the same ArrayBuffer');
	t.deepEqual([...new Uint8Array(queue.read(1)!)], [4]);
	t.deepEqual([...new Uint8Array(queue.read()!)], [5]);
	t.is(queue.read(), undefined);
	t.throws(() => queue.read(0), { instanceOf: RangeError });
});
