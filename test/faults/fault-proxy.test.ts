/*
 * The fault proxy on its own, seen from a plain TLS client that keeps every byte: each fault does
 * to the answer exactly what it says, and the ledger records what was sent.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { startFaultWorld, type FaultWorld } from '../../simulator/faults/world';
import { defaultCampaignRoot } from '../../simulator/faults/campaign';
import { FaultPlan, type ImageExchange } from '../../simulator/faults/fault-plan';
import type { CheckinFault, ImageFault } from '../../simulator/faults/faults';
import { createRelease } from '../../simulator/cloud/admin-client';
import { makeImage } from '../../simulator/image';

const SIZE = 50_000;
const product = 'proxy-test';

let world: FaultWorld;
let root: string;
let image: Buffer;
let release: { id: string; checksum: string };

test.before(async () => {
	root = fs.mkdtempSync(path.join(defaultCampaignRoot(), 'updraft-fault-proxy-'));
	world = await startFaultWorld({ root });
	image = makeImage({ product, version: '2.0.0' }, SIZE);
	const { cloud } = world;
	release = await createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version: '2.0.0', image });
});

test.after.always(async () => {
	await world?.close();
	fs.rmSync(root, { recursive: true, force: true });
});

interface RawAnswer {
	status: number;
	headers: Record<string, string>;
	body: Buffer;
	/** How the connection ended: 'end' (FIN), 'error', or 'silent' (nothing more within `quiet` ms). */
	ending: 'end' | 'error' | 'silent';
}

/** One request over raw TLS to the proxy; every byte the proxy sends is kept, framing or not. */
function raw(request: string, quiet = 1500): Promise<RawAnswer> {
	const url = new URL(world.proxy.url);
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca: world.cloud.caPem });
		let timer: NodeJS.Timeout | undefined;
		const quietTimer = () => {
			clearTimeout(timer);
			timer = setTimeout(() => settle('silent'), quiet);
		};
		const settle = (ending: RawAnswer['ending']) => {
			clearTimeout(timer);
			socket.destroy();
			const all = Buffer.concat(chunks);
			const split = all.indexOf('\r\n\r\n');
			if (split < 0) {
				resolve({ status: 0, headers: {}, body: all, ending });
				return;
			}
			const [statusLine, ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
			const headers: Record<string, string> = {};
			for (const line of lines) {
				const colon = line.indexOf(':');
				headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
			}
			resolve({ status: Number(statusLine.split(' ')[1]), headers, body: all.subarray(split + 4), ending });
		};
		socket.on('secureConnect', () => {
			socket.write(request);
			quietTimer();
		});
		socket.on('data', (data: Buffer) => {
			chunks.push(data);
			quietTimer();
		});
		socket.on('end', () => settle('end'));
		socket.on('error', (error) => (chunks.length ? settle('error') : reject(error)));
	});
}

let device = 0;

/** A GET of the release image for a fresh device whose plan holds `faults`. */
async function getImage(faults: ImageFault[], headers: Record<string, string> = {}): Promise<{ answer: RawAnswer; exchange: ImageExchange }> {
	const deviceId = `proxy-dev-${++device}`;
	const plan = new FaultPlan(faults.map((fault) => ({ target: 'image' as const, fault })));
	const detach = world.proxy.attach(plan, { deviceId, checksum: `${release.checksum}` });
	try {
		const url = new URL(await world.cloud.imageUrl(release.id, deviceId));
		const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
		const answer = await raw(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n${extra}Connection: close\r\n\r\n`);
		return { answer, exchange: plan.images[0] };
	} finally {
		detach();
	}
}

test.serial('no fault: the whole image, framed as the cloud framed it', async (t) => {
	const { answer, exchange } = await getImage([]);
	t.is(answer.status, 200);
	t.is(answer.headers['content-length'], String(SIZE));
	t.true(answer.body.equals(image));
	t.like(exchange, { status: 200, start: 0, sent: SIZE });
});

test.serial('cut: exactly `at` body bytes, then the connection drops', async (t) => {
	const { answer, exchange } = await getImage([{ kind: 'cut', at: 12_345 }]);
	t.is(answer.headers['content-length'], String(SIZE));
	t.true(answer.body.equals(image.subarray(0, 12_345)));
	t.not(answer.ending, 'silent');
	t.like(exchange, { fault: 'cut', sent: 12_345 });
});

test.serial('cut at 0: the head arrives, no body', async (t) => {
	const { answer } = await getImage([{ kind: 'cut', at: 0 }]);
	t.is(answer.status, 200);
	t.is(answer.body.length, 0);
});

test.serial('stall: `at` body bytes, then silence on an open connection', async (t) => {
	const { answer } = await getImage([{ kind: 'stall', at: 7_000 }]);
	t.is(answer.ending, 'silent');
	t.true(answer.body.equals(image.subarray(0, 7_000)));
});

test.serial('truncate: `at` body bytes and a clean end, short of Content-Length', async (t) => {
	const { answer } = await getImage([{ kind: 'truncate', at: 20_000 }]);
	t.is(answer.ending, 'end');
	t.is(answer.headers['content-length'], String(SIZE));
	t.true(answer.body.equals(image.subarray(0, 20_000)));
});

test.serial('corrupt: one byte flipped, everything else intact', async (t) => {
	const { answer } = await getImage([{ kind: 'corrupt', at: 3_000 }]);
	t.is(answer.body.length, SIZE);
	const expected = Buffer.from(image);
	expected[3_000] ^= 0xff;
	t.true(answer.body.equals(expected));
});

// [delta]: the announced length lies by delta, the body is the real one.
for (const delta of [777, -777]) {
	test.serial(`wrong-length ${delta}: Content-Length is off by ${delta}, the body is whole`, async (t) => {
		const { answer } = await getImage([{ kind: 'wrong-length', delta }]);
		t.is(answer.headers['content-length'], String(SIZE + delta));
		t.true(answer.body.equals(image));
	});
}

test.serial('a range is answered 206; full-body answers it with a 200 and the whole image', async (t) => {
	const asked = await getImage([], { Range: 'bytes=10000-' });
	t.is(asked.answer.status, 206);
	t.true(asked.answer.body.equals(image.subarray(10_000)));
	t.like(asked.exchange, { asked: 10_000, start: 10_000 });
	const full = await getImage([{ kind: 'full-body' }], { Range: 'bytes=10000-' });
	t.is(full.answer.status, 200);
	t.true(full.answer.body.equals(image));
	t.like(full.exchange, { fault: 'full-body', asked: 10_000, start: 0 });
});

test.serial('full-body on a request with no range has nothing to do: skipped', async (t) => {
	const { answer, exchange } = await getImage([{ kind: 'full-body' }]);
	t.is(answer.status, 200);
	t.like(exchange, { skipped: 'full-body', fault: undefined });
});

test.serial('etag-change: a 206 comes with another ETag and other bytes; a 200 with another ETag, cut', async (t) => {
	const partial = await getImage([{ kind: 'etag-change' }], { Range: 'bytes=40000-' });
	t.is(partial.answer.status, 206);
	t.not(partial.answer.headers.etag, `"${release.checksum}"`);
	t.is(partial.answer.body.length, SIZE - 40_000);
	t.false(partial.answer.body.equals(image.subarray(40_000)));
	t.true(partial.exchange.restarts);
	const whole = await getImage([{ kind: 'etag-change', cutAt: 5_000 }]);
	t.is(whole.answer.status, 200);
	t.not(whole.answer.headers.etag, `"${release.checksum}"`);
	t.true(whole.answer.body.equals(image.subarray(0, 5_000)));
});

test.serial('server-error: the status, then the image again once the burst is over', async (t) => {
	const deviceId = `proxy-dev-${++device}`;
	const plan = new FaultPlan([{ target: 'image', fault: { kind: 'server-error', status: 503, count: 2 } }]);
	const detach = world.proxy.attach(plan, { deviceId, checksum: release.checksum });
	try {
		const url = new URL(await world.cloud.imageUrl(release.id, deviceId));
		const get = () => raw(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
		t.deepEqual([(await get()).status, (await get()).status, (await get()).status], [503, 503, 200]);
	} finally {
		detach();
	}
});

test.serial('trickle: the first bytes come in small pieces, the image arrives whole', async (t) => {
	const started = Date.now();
	const { answer } = await getImage([{ kind: 'trickle', bytes: 2_000, piece: 100, delay: 10 }]);
	t.true(answer.body.equals(image));
	t.true(Date.now() - started >= 150, 'about 20 pauses of 10 ms');
});

// [fault, what the client sees]: check-in answers cut or stalled anywhere, head included.
const CHECKINS: [CheckinFault, (answer: RawAnswer) => boolean][] = [
	[{ kind: 'cut', at: 0 }, (a) => a.status === 0 && a.body.length === 0 && a.ending !== 'silent'],
	[{ kind: 'cut', at: 30 }, (a) => a.status === 0 && a.body.length === 30 && a.ending !== 'silent'],
	[{ kind: 'stall', at: 30 }, (a) => a.status === 0 && a.body.length === 30 && a.ending === 'silent'],
	[{ kind: 'server-error', status: 502, count: 1 }, (a) => a.status === 502],
];

for (const [fault, expected] of CHECKINS) {
	test.serial(`check-in ${fault.kind} ${JSON.stringify(fault)}`, async (t) => {
		const deviceId = `proxy-dev-${++device}`;
		const plan = new FaultPlan([{ target: 'checkin', fault }]);
		const detach = world.proxy.attach(plan, { deviceId, checksum: `checkin-only-${device}` });
		try {
			const body = JSON.stringify({ id: deviceId, product, version: '1.0.0' });
			const answer = await raw(`POST /tok/provision/update HTTP/1.1\r\nHost: x\r\nAuthorization: bearer ${world.cloud.fleetToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
			t.true(expected(answer), JSON.stringify({ status: answer.status, length: answer.body.length, ending: answer.ending }));
			t.like(plan.exchanges[0], { target: 'checkin', fault: fault.kind });
			// Without a fault the same check-in is answered with an offer.
			const clean = await raw(`POST /tok/provision/update HTTP/1.1\r\nHost: x\r\nAuthorization: bearer ${world.cloud.fleetToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
			t.is(clean.status, 200);
			t.is(JSON.parse(clean.body.toString()).version, '2.0.0');
		} finally {
			detach();
		}
	});
}

test('attaching a second plan to the same device or image is refused', (t) => {
	const detach = world.proxy.attach(new FaultPlan(), { deviceId: 'twice', checksum: 'c1' });
	t.throws(() => world.proxy.attach(new FaultPlan(), { deviceId: 'twice', checksum: 'c2' }), { message: /already has a fault plan/ });
	t.throws(() => world.proxy.attach(new FaultPlan(), { deviceId: 'other', checksum: 'c1' }), { message: /already has a fault plan/ });
	detach();
	world.proxy.attach(new FaultPlan(), { deviceId: 'twice', checksum: 'c1' })();
	t.pass();
});
