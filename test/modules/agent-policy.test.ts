/* The agent's pure decisions: settings, what it refuses to install, reports, watcher verdicts. */
import test from 'ava';
import { readSettings } from '../../modules/settings';
import { ReleaseGuard } from '../../modules/release-guard';
import { ReportQueue } from '../../modules/report-queue';
import { verdictOf } from '../../modules/verdict';
import type { ReleaseOffer } from '../../modules/checkin';
import type { UpdateError } from '../../modules/reasons';
import { memoryStore } from '../helpers/memory-ports';

// A key to trust: signed releases are the default, and need one.
const key = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString('base64');
const base = { provision: { api: 'https://cloud.example/', token: 't' }, device: { id: 'd1', product: 'p' } };
const withUpdate = (update: Record<string, unknown>) => ({ ...base, update: { keys: [key], ...update } });

test('settings: Ioto defaults', (t) => {
	const s = readSettings(withUpdate({}));
	t.is(s.signatures, 'required');
	t.is(s.threshold, 1);
	t.is(s.provision.api, 'https://cloud.example');
	t.is(s.period, 86_400_000);
	t.is(s.chunkSize, 4096);
	t.is(s.timeouts.api, 30_000);
	t.is(s.timeouts.download, 4 * 3_600_000);
	t.true(s.scheduled);
	t.is(s.confirm, 'auto');
	t.is(s.deviceId, 'd1');
});

test('settings: Ioto keys as written in ioto.json5', (t) => {
	const s = readSettings({ ...withUpdate({ period: '6 hrs', jitter: '1 hr', schedule: 'night', apply: '* 0 * * *', throttle: 9000, chunkSize: 1024 }), timeouts: { api: '5 secs', download: 600 } });
	t.is(s.period, 6 * 3_600_000);
	t.is(s.jitter, 3_600_000);
	t.is(s.schedule.text, 'night');
	t.is(s.throttle, 5000, 'throttle is capped at 5 s as in Ioto');
	t.is(s.chunkSize, 1024);
	t.is(s.timeouts.api, 5000);
	t.is(s.timeouts.download, 600_000);
	t.false(readSettings({ ...withUpdate({}), services: { update: false } }).scheduled);
	t.false(readSettings(withUpdate({ enable: false })).scheduled);
	t.is(readSettings({ ...base, update: { signatures: 'optional' } }).signatures, 'optional', 'a plain Ioto cloud: no keys needed');
});

// Configurations the agent refuses, and the key each error must name.
const badConfigs: [unknown, RegExp][] = [
	[undefined, /missing/],
	[{ ...base, provision: { api: 'http://x', token: 't' } }, /provision\.api/],
	[{ ...base, provision: { api: 'https://x', token: '' } }, /provision\.token/],
	[{ ...base, device: null }, /device/],
	[withUpdate({ period: 'soon' }), /update\.period/],
	[withUpdate({ schedule: '* *' }), /update\.schedule/],
	[withUpdate({ chunkSize: 100 }), /chunkSize/],
	[withUpdate({ confirm: 'maybe' }), /update\.confirm/],
	[withUpdate({ retry: { attempts: 0 } }), /attempts/],
	[{ ...withUpdate({}), timeouts: { idle: -3 } }, /timeouts\.idle/],
	[base, /update\.keys lists no trusted key/],
	[withUpdate({ signatures: 'sometimes' }), /update\.signatures/],
	[withUpdate({ threshold: 2 }), /update\.threshold/],
	[withUpdate({ keys: [42] }), /update\.keys/],
];
for (const [config, message] of badConfigs) {
	test(`settings refuse a config, naming ${message.source}`, (t) => {
		t.throws(() => readSettings(config as never), { message });
	});
}

const offer = (version: string, extra: Partial<ReleaseOffer> = {}): ReleaseOffer => ({ url: 'https://h/x', checksum: version.replace(/\D/g, '').padEnd(64, 'a'), version, update: `u-${version}`, ...extra });

// [offered, running, floor, downgrade permitted, refused with]
const guardCases: [string, string, string | undefined, boolean, string | null][] = [
	['1.1.0', '1.0.0', undefined, false, null],
	['1.0.0', '1.0.0', undefined, false, 'DOWNGRADE_REFUSED'],
	['1.0.0', '1.0.0', undefined, true, 'DOWNGRADE_REFUSED'],
	['0.9.0', '1.0.0', undefined, false, 'DOWNGRADE_REFUSED'],
	['0.9.0', '1.0.0', '1.0.0', true, null],
	['1.0.0-rc.1', '1.0.0', undefined, false, 'DOWNGRADE_REFUSED'],
	['1.5.0', '1.0.0', '2.0.0', false, 'DOWNGRADE_REFUSED'],
	['2.0.1', '1.0.0', '2.0.0', false, null],
];
for (const [offered, running, floor, downgrade, refused] of guardCases) {
	test(`guard: ${offered} on ${running} (floor ${floor ?? '-'}, downgrade ${downgrade}) → ${refused ?? 'taken'}`, (t) => {
		const guard = new ReleaseGuard(memoryStore());
		if (floor) guard.setFloor(floor);
		const run = () => guard.check(offer(offered, downgrade ? { downgrade: true } : {}), running);
		if (refused) {
			const reason: string | undefined = t.throws<UpdateError>(run)?.reason;
			t.is(reason, refused);
		} else {
			t.notThrows(run);
		}
	});
}

test('guard: a release that failed here is never taken again, by id or by checksum', (t) => {
	const store = memoryStore();
	const guard = new ReleaseGuard(store);
	guard.block(offer('2.0.0'), 'ROLLED_BACK');
	t.notThrows(() => guard.check(offer('2.0.0'), '1.0.0'), 'one rollback of unknown cause: one more attempt');
	guard.block(offer('2.0.0'), 'ROLLED_BACK');
	t.throws(() => guard.check(offer('2.0.0'), '1.0.0'), { message: /rolled back here before/ });
	guard.block(offer('2.5.0'), 'SELF_TEST_FAILED');
	t.throws(() => guard.check(offer('2.5.0'), '1.0.0'), { message: /self test failed here before/ }, 'a failure the agent saw blocks at once');
	t.throws(() => new ReleaseGuard(store).check({ ...offer('2.0.0'), update: 'other-id' }, '1.0.0'), { message: /before/ }, 'survives a restart; same image under another id');
	t.notThrows(() => guard.check(offer('2.0.1'), '1.0.0'));
	for (let i = 0; i < 40; i++) guard.block(offer(`3.0.${i}`), 'VETOED');
	t.true(store.get('blocked')!.length < 4000, 'the list stays within a preference value');
});

test('reports: one per release, kept until delivered, oldest first', async (t) => {
	const store = memoryStore();
	const queue = new ReportQueue(store);
	queue.add({ id: 'd', update: 'a', success: false, reason: 'X', version: '1.0.0' });
	queue.add({ id: 'd', update: 'b', success: true, version: '2.0.0' });
	queue.add({ id: 'd', update: 'a', success: false, reason: 'Y', version: '1.0.0' });
	t.deepEqual(queue.pending().map((r) => `${r.update}:${r.reason ?? ''}`), ['b:', 'a:Y']);
	const sent: string[] = [];
	await queue.deliver(async (r) => {
		sent.push(r.update);
		return r.update === 'b';
	});
	t.deepEqual(sent, ['b', 'a']);
	t.deepEqual(new ReportQueue(store).pending().map((r) => r.update), ['a'], 'what was not delivered survives');
	await queue.deliver(async () => true);
	t.is(store.get('reports'), undefined);
	for (let i = 0; i < 30; i++) queue.add({ id: 'device-with-a-long-name', update: `release-${i}-${'x'.repeat(40)}`, success: false, reason: 'INTEGRITY_CHECK_FAILURE', version: '10.20.30-beta.1' });
	t.true(store.get('reports')!.length < 4000);
});

// Watcher results and what the agent makes of them.
const verdicts: [unknown[], object][] = [
	[[], { action: 'accept' }],
	[[undefined, 'accept', true], { action: 'accept' }],
	[['defer'], { action: 'defer' }],
	[[{ action: 'defer', until: 50, reason: 'busy' }, { action: 'defer', until: 20 }], { action: 'defer', until: 20, reason: 'busy' }],
	[['defer', 'veto'], { action: 'veto' }],
	[[{ action: 'veto', reason: 'battery low' }], { action: 'veto', reason: 'battery low' }],
	[[new Error('watcher broke')], { action: 'veto', reason: 'a device:update watcher threw: watcher broke' }],
	[['something else', 42], { action: 'accept' }],
];
for (const [results, expected] of verdicts) {
	test(`verdict of ${JSON.stringify(results)}`, (t) => t.deepEqual(verdictOf(results), expected));
}
