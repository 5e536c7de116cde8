/*
 * The simulator's socket over node:tls: reads hand out buffers of their own in the sizes asked,
 * across the pieces TLS delivered, and every byte arrives once and in order.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createTlsNetwork } from '../../hosts/sim/tls-network';
import { ensureCloudTls } from '../../simulator/tls/certificates';

const payload = new Uint8Array(200_000).map((_, i) => (i * 7 + (i >> 8)) & 0xff);

test('reads of any size return fresh ArrayBuffers holding the stream in order', async (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-sim-tls-'));
	const keys = await ensureCloudTls(dir);
	// The server writes in pieces that do not line up with the reads.
	const server = tls.createServer({ key: keys.keyPem, cert: keys.chainPem }, (socket) => {
		for (let at = 0; at < payload.length; at += 3001) socket.write(payload.subarray(at, at + 3001));
		socket.end();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => {
		server.close();
		fs.rmSync(dir, { recursive: true, force: true });
	});
	const network = createTlsNetwork({ ca: keys.caPem, highWater: 8192 });
	const received: ArrayBuffer[] = [];
	const sizes = [1, 4096, 5000, 16384, 700];
	await new Promise<void>((resolve, reject) => {
		let n = 0;
		const socket = network.connect({
			host: '127.0.0.1',
			port: (server.address() as AddressInfo).port,
			onReadable() {
				for (let buffer = socket.read(sizes[n % sizes.length]); buffer; buffer = socket.read(sizes[++n % sizes.length])) received.push(buffer);
			},
			onEnd: () => resolve(),
			onError: (message) => reject(new Error(message)),
		});
	});
	t.true(received.every((b) => b instanceof ArrayBuffer));
	t.true(received.every((b) => b.byteLength <= 16384));
	const joined = new Uint8Array(received.reduce((sum, b) => sum + b.byteLength, 0));
	let at = 0;
	for (const b of received) {
		joined.set(new Uint8Array(b), at);
		at += b.byteLength;
	}
	t.is(joined.length, payload.length);
	t.deepEqual(joined, payload);
	// Each read owns its bytes: changing one leaves the next alone.
	new Uint8Array(received[0]).fill(0);
	t.deepEqual(new Uint8Array(received[1]), payload.subarray(received[0].byteLength, received[0].byteLength + received[1].byteLength));
});
