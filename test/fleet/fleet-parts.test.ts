/*
 * The parts of a fleet run: who is in the fleet, the rollout plan, the devices' clock, their
 * flaky network, their store, one in-memory device against a cloud, and the printed report.
 */
import test from 'ava';
import type { SocketOptions } from '../../modules/ports';
import { generatePopulation, parseVersionMix } from '../../simulator/fleet/population';
import { parseStages, checkPlan } from '../../simulator/fleet/rollout-plan';
import { createFleetClock } from '../../simulator/fleet/fleet-clock';
import { flakyNetwork } from '../../simulator/fleet/flaky-network';
import { createMemoryStore } from '../../simulator/fleet/memory-store';
import { MemoryDevice, type DeviceWorld } from '../../simulator/fleet/memory-device';
import { formatSummary, formatTable, formatDuration } from '../../simulator/fleet/summary-table';
import { progressLine } from '../../simulator/fleet/progress-display';
import { aliasHosts } from '../../simulator/fleet/host-alias';
import { createTlsSessionCache } from '../../hosts/sim/tls-sessions';
import type { FleetSummary } from '../../simulator/fleet/fleet-run';
import { makeImage } from '../../simulator/image';
import { createRelease, disableRelease } from '../../simulator/cloud/admin-client';
import { startTestCloud } from '../helpers/cloud';

const versions = [{ version: '1.0.0', weight: 1 }];

test('a seed always gives the same fleet, another seed another one', (t) => {
	const a = generatePopulation({ devices: 500, seed: 'one', versions: parseVersionMix('1.0.0:3,1.1.0') });
	t.deepEqual(generatePopulation({ devices: 500, seed: 'one', versions: parseVersionMix('1.0.0:3,1.1.0') }), a);
	t.notDeepEqual(generatePopulation({ devices: 500, seed: 'two', versions: parseVersionMix('1.0.0:3,1.1.0') }), a);
	t.is(new Set(a.map((d) => d.id)).size, 500);
	t.is(a[0]!.id, 'dev-001');
	const share = a.filter((d) => d.version === '1.0.0').length / 500;
	t.true(share > 0.65 && share < 0.85, `1.0.0 share ${share}`);
	// The properties a policy matches on vary across the fleet.
	for (const key of ['model', 'memory', 'region', 'channel', 'hw', 'battery']) {
		t.true(new Set(a.map((d) => d.properties[key])).size >= 2, key);
	}
});

test('bad population and plan inputs are refused with a message', (t) => {
	// [what, the call]
	const table: [string, () => unknown][] = [
		['no devices', () => generatePopulation({ devices: 0, seed: 's', versions })],
		['no versions', () => generatePopulation({ devices: 1, seed: 's', versions: [] })],
		['bad version', () => parseVersionMix('1.0')],
		['bad weight', () => parseVersionMix('1.0.0:-1')],
		['bad prefix', () => generatePopulation({ devices: 1, seed: 's', versions, prefix: 'a b' })],
		['falling stages', () => parseStages('50,10')],
		['stage above 100', () => parseStages('10,150')],
		['not a number', () => parseStages('10,x')],
		['rate without period', () => checkPlan({ stages: [], limit: null, rate: 3, period: null, policy: '' })],
		['negative limit', () => checkPlan({ stages: [], limit: -1, rate: null, period: null, policy: '' })],
	];
	for (const [what, call] of table) t.throws(call, { instanceOf: RangeError }, what);
	t.deepEqual(parseStages('10, 50,100'), [10, 50, 100]);
	t.deepEqual(parseStages('none'), []);
});

test('the fleet clock races through idle waits, keeps wall speed while busy, and skips ahead', async (t) => {
	const start = Date.UTC(2030, 0, 1);
	const clock = createFleetClock(start, 1000);
	const began = Date.now();
	// An idle wait of a minute of device time passes in about 60 ms.
	await new Promise<void>((resolve) => clock.setTimer(resolve, 60_000));
	t.true(Date.now() - began < 1000, `idle minute took ${Date.now() - began} ms`);
	t.true(clock.now() >= start + 60_000);
	// While busy, a 40 ms timer takes 40 ms of wall time.
	clock.setBusy(true);
	const busyStart = Date.now();
	await new Promise<void>((resolve) => clock.setTimer(resolve, 40));
	t.true(Date.now() - busyStart >= 35);
	clock.setBusy(false);
	const before = clock.now();
	clock.skip(3_600_000);
	t.true(clock.now() >= before + 3_600_000);
	const id = clock.setTimer(() => t.fail('cleared timer fired'), 10);
	clock.clearTimer(id);
	clock.dispose();
	t.throws(() => createFleetClock(start, 0.5), { instanceOf: RangeError });
	t.throws(() => clock.skip(-1), { instanceOf: RangeError });
});

/** A network whose sockets hand out `body` and record how they were closed. */
function fakeNetwork(body: Uint8Array) {
	const opened: SocketOptions[] = [];
	return {
		opened,
		connect(options: SocketOptions) {
			opened.push(options);
			let sent = false;
			setImmediate(() => {
				options.onConnect?.();
				options.onReadable(body.length);
			});
			return {
				read: (max?: number) => {
					if (sent) return undefined;
					sent = true;
					return body.slice(0, max ?? body.length).buffer;
				},
				write() {},
				close() {},
			};
		},
	};
}

test('a flaky network refuses some connections and cuts others after a few bytes', async (t) => {
	const refusing = flakyNetwork(fakeNetwork(new Uint8Array(100)), { refuse: 1, cut: 0, random: () => 0.5 });
	const message = await new Promise<string>((resolve) => refusing.connect({ host: 'h', port: 1, onReadable: () => t.fail('read on a refused socket'), onError: resolve }));
	t.regex(message, /refused \(simulated network fault\)/);

	let draws = 0;
	const inner = fakeNetwork(new Uint8Array(100).fill(7));
	const cutting = flakyNetwork(inner, { refuse: 0, cut: 1, cutWithin: 40, random: () => (draws++ === 0 ? 0.5 : 0.5) });
	const result = await new Promise<{ got: number; error: string }>((resolve) => {
		let got = 0;
		const socket = cutting.connect({
			host: 'h', port: 1,
			onReadable: () => {
				const bytes = socket.read();
				if (bytes) got += bytes.byteLength;
			},
			onError: (error) => resolve({ got, error }),
		});
	});
	t.is(result.got, 20);
	t.regex(result.error, /reset after 20 bytes/);

	const passing = flakyNetwork(inner, { refuse: 0.1, cut: 0.1, random: () => 0.99 });
	passing.connect({ host: 'h', port: 1, onReadable: () => {}, onError: () => t.fail('a lucky connection failed') });
	t.throws(() => flakyNetwork(inner, { refuse: 0.7, cut: 0.7, random: Math.random }), { instanceOf: RangeError });
});

test('host aliases replace the dialled name, nothing else', (t) => {
	const inner = fakeNetwork(new Uint8Array(1));
	const network = aliasHosts(inner, { localhost: '127.0.0.1' });
	network.connect({ host: 'localhost', port: 443, onReadable: () => {}, onError: () => {} });
	network.connect({ host: 'cloud.example', port: 443, onReadable: () => {}, onError: () => {} });
	t.deepEqual(inner.opened.map((o) => o.host), ['127.0.0.1', 'cloud.example']);
});

test('the memory store keeps the limits of the device store', (t) => {
	const store = createMemoryStore();
	store.set('state', 'idle');
	t.is(store.get('state'), 'idle');
	store.delete('state');
	t.is(store.get('state'), undefined);
	t.throws(() => store.set('a-key-that-is-too-long', 'x'), { instanceOf: RangeError });
	t.throws(() => store.set('big', 'x'.repeat(4001)), { instanceOf: RangeError });
	t.throws(() => store.set('', 'x'), { instanceOf: RangeError });
});

test('an in-memory device updates, refuses a release that fails its self-test, and keeps flash and clock over restarts', async (t) => {
	const cloud = await startTestCloud(t, { autoHalt: { failures: null, percentage: null } });
	const admin = { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
	const product = 'widget';
	const layout = { sectorSize: 4096, slotSize: 16 * 4096 };
	const device = new MemoryDevice({ id: 'w-1', product, properties: { model: 'esp32' } }, layout, makeImage({ product, version: '1.0.0' }, 8192), '1.0.0', Date.UTC(2030, 0, 1));
	const sessions = createTlsSessionCache();
	const world: DeviceWorld = { api: cloud.url, token: cloud.fleetToken, caPem: cloud.caPem, sessions, update: { signatures: 'optional' }, idleScale: 1000 };

	t.like(await device.cycle(world), { id: 'w-1', before: '1.0.0', after: '1.0.0', outcome: 'none' });

	const bad = await createRelease({ ...admin, product, version: '1.5.0', image: makeImage({ product, version: '1.5.0', behaviour: 'fail-selftest' }, 8192) });
	const refused = await device.cycle(world);
	t.like(refused, { before: '1.0.0', after: '1.0.0', outcome: 'rolledback', reason: 'SELF_TEST_FAILED', update: bad.id });
	t.true(refused.restarts >= 2);
	await disableRelease({ ...admin, id: bad.id });

	const good = await createRelease({ ...admin, product, version: '2.0.0', image: makeImage({ product, version: '2.0.0' }, 12_000) });
	const time = device.time;
	t.like(await device.cycle(world), { before: '1.0.0', after: '2.0.0', outcome: 'updated', update: good.id, restarts: 1 });
	t.is(device.version, '2.0.0');
	t.true(device.time >= time);
	t.is(device.pendingReports, 0);
	// Up to date: the next cycle finds nothing, on the firmware it confirmed.
	t.like(await device.cycle(world), { before: '2.0.0', after: '2.0.0', outcome: 'none' });
	device.sleepUntil(device.time + 86_400_000);
	t.true(sessions.resumed > 0);
	t.throws(() => new MemoryDevice({ id: 'x', product, properties: { version: '9' } }, layout, makeImage({ product, version: '1.0.0' }, 8192), '1.0.0', 0));
});

test('an update takes two connections: check-in and image on one, trial check-in and report on the next', async (t) => {
	const cloud = await startTestCloud(t);
	const product = 'gadget';
	const layout = { sectorSize: 4096, slotSize: 16 * 4096 };
	const device = new MemoryDevice({ id: 'g-1', product, properties: {} }, layout, makeImage({ product, version: '1.0.0' }, 8192), '1.0.0', Date.UTC(2030, 0, 1));
	let opened = 0;
	let open = 0;
	const world: DeviceWorld = {
		api: cloud.url, token: cloud.fleetToken, caPem: cloud.caPem, update: { signatures: 'optional' }, idleScale: 1000,
		network: (network) => ({
			connect(options: SocketOptions) {
				opened++;
				open++;
				const socket = network.connect(options);
				let closed = false;
				return {
					read: (n?: number) => socket.read(n),
					write: (bytes) => socket.write(bytes),
					close() {
						if (!closed) open--;
						closed = true;
						socket.close();
					},
				};
			},
		}),
	};
	await createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product, version: '2.0.0', image: makeImage({ product, version: '2.0.0' }, 12_000) });
	t.like(await device.cycle(world), { before: '1.0.0', after: '2.0.0', outcome: 'updated', restarts: 1 });
	t.is(opened, 2);
	t.is(open, 0, 'every connection is closed when the agent is done');
	t.is(device.pendingReports, 0);
});

test('the summary table and the progress line say what happened', (t) => {
	t.is(formatTable([['a', 'bb'], ['ccc', 'd']]), 'a    bb\nccc  d');
	// [ms, text]
	const durations: [number, string][] = [[12, '12 ms'], [1500, '1.5 s'], [300_000, '5.0 min'], [3 * 86_400_000, '3.0 days']];
	for (const [ms, text] of durations) t.is(formatDuration(ms), text);
	const summary: FleetSummary = {
		devices: 10, seed: 's', product: 'sensor', to: '2.0.0', imageSize: 4096,
		release: {
			id: 'r1', product: 'sensor', version: '2.0.0', description: '', policy: '', enable: true, limit: null, percentage: 100, rate: null, period: null,
			checksum: 'c', size: 4096, created: '', updated: '', halted: null, downgrade: false, manifest: null, signatures: null,
			counters: { requests: 14, offered: 10, devices: 10, started: 10, success: 10, failure: 0 },
		},
		stages: [{ percentage: 50, waves: 1, checkins: 10, offered: 6, updated: 6, updatedTotal: 6, failed: 0, wallMs: 900 },
			{ percentage: 100, waves: 1, checkins: 4, offered: 4, updated: 4, updatedTotal: 10, failed: 0, wallMs: 700 }],
		versionsBefore: { '1.0.0': 7, '1.10.0': 3 }, versionsAfter: { '2.0.0': 10 },
		outcomes: { updated: 10, none: 4 }, reasons: {},
		reports: { success: 10, failure: 0, undelivered: 0 },
		tls: { full: 2, resumed: 50 }, faults: { devices: 0, refused: 0, cut: 0 },
		shards: 1, errors: 0, errorSamples: [], interrupted: false, wallMs: 1600, deviceTimeMs: 2 * 86_400_000, fleetCpuMs: 800,
	};
	const text = formatSummary(summary, { cloudCpuMs: 700 });
	t.regex(text, /^1\s+50%\s+1\s+10\s+6\s+6\s+6\s+0\s+900 ms$/m);
	t.regex(text, /^1\.0\.0\s+7\s+0$/m);
	// Versions sort as versions: 1.10.0 after 1.0.0, 2.0.0 last.
	const versionRows = text.split('\n').filter((l) => /^\d+\.\d+\.\d+ /.test(l)).map((l) => l.split(/\s+/)[0]);
	t.deepEqual(versionRows, ['1.0.0', '1.10.0', '2.0.0']);
	t.regex(text, /the cloud received 10 \(success 10, failure 0\)/);
	t.regex(text, /cloud CPU 700 ms/);
	const line = progressLine({ phase: 'wave', stage: 2, stages: 3, percentage: 50, wave: 1, waveDone: 5, waveSize: 10, devices: 100, updated: 40, failing: 1, checkins: 60, elapsedMs: 2500 }, 10);
	t.is(line, 'stage 2/3 (50%)  wave 1 [#####-----] 5/10  updated 40/100  failing 1  2.5 s');
});
