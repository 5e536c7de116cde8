import test from 'ava';
import { checkinBody, parseCheckinAnswer, CheckinError } from '../../modules/checkin';

const sum = 'ab'.repeat(32);

test('the body is device.json5 plus version and iotoVersion, which win over device properties', (t) => {
	const body = JSON.parse(checkinBody({ id: 'd1', product: 'p', memory: 256, version: '9.9.9', tags: ['a'] }, '1.2.3-rc.1+b5', '0.1.0'));
	t.deepEqual(body, { id: 'd1', product: 'p', memory: 256, version: '1.2.3-rc.1+b5', tags: ['a'], iotoVersion: '0.1.0' });
});

test('the body refuses a running version that is not SemVer, and non-object properties', (t) => {
	t.throws(() => checkinBody({ id: 'd' }, '1.2', '0.1.0'), { instanceOf: CheckinError, message: /SemVer/ });
	t.throws(() => checkinBody([] as never, '1.2.3', '0.1.0'), { instanceOf: CheckinError });
	t.throws(() => checkinBody(null as never, '1.2.3', '0.1.0'), { instanceOf: CheckinError });
});

// Answers that mean "nothing pending": no url, with or without a message.
const none: [unknown, string | undefined][] = [
	[{}, undefined],
	[{ message: 'No update available' }, 'No update available'],
	[{ url: '', message: 'none' }, 'none'],
	[{ url: null }, undefined],
	[{ message: 42 }, undefined],
];
for (const [answer, message] of none) {
	test(`no update: ${JSON.stringify(answer)}`, (t) => {
		t.deepEqual(parseCheckinAnswer(answer), message === undefined ? { kind: 'none' } : { kind: 'none', message });
	});
}

test('an offer is read with the checksum lowercased and the size kept', (t) => {
	const answer = parseCheckinAnswer({ url: 'https://cdn.example.com:8443/i/x.bin?t=1', checksum: sum.toUpperCase(), version: '2.0.0-beta.1', update: 'u1', size: 1024, extra: true });
	t.deepEqual(answer, { kind: 'offer', offer: { url: 'https://cdn.example.com:8443/i/x.bin?t=1', checksum: sum, version: '2.0.0-beta.1', update: 'u1', size: 1024 } });
});

test('a numeric update id becomes a string', (t) => {
	const answer = parseCheckinAnswer({ url: 'https://h/x', checksum: sum, version: '1.0.0', update: 7 });
	t.is(answer.kind === 'offer' && answer.offer.update, '7');
});

// Offers that break the protocol, and the field each error must name.
const bad: [unknown, RegExp][] = [
	[null, /not a JSON object/],
	[[], /not a JSON object/],
	['text', /not a JSON object/],
	[{ url: 42, checksum: sum, version: '1.0.0', update: 'u' }, /url must be a string/],
	[{ url: 'http://h/x', checksum: sum, version: '1.0.0', update: 'u' }, /https/],
	[{ url: 'https://h/x', checksum: 'abc', version: '1.0.0', update: 'u' }, /checksum/],
	[{ url: 'https://h/x', checksum: 'g'.repeat(64), version: '1.0.0', update: 'u' }, /checksum/],
	[{ url: 'https://h/x', version: '1.0.0', update: 'u' }, /checksum/],
	[{ url: 'https://h/x', checksum: sum, version: '1.0', update: 'u' }, /version/],
	[{ url: 'https://h/x', checksum: sum, update: 'u' }, /version/],
	[{ url: 'https://h/x', checksum: sum, version: '1.0.0' }, /update/],
	[{ url: 'https://h/x', checksum: sum, version: '1.0.0', update: '' }, /update/],
	[{ url: 'https://h/x', checksum: sum, version: '1.0.0', update: 'u', size: -1 }, /size/],
	[{ url: 'https://h/x', checksum: sum, version: '1.0.0', update: 'u', size: 1.5 }, /size/],
	[{ url: 'https://h/x', checksum: sum, version: '1.0.0', update: 'u', size: '10' }, /size/],
];
for (const [answer, message] of bad) {
	test(`bad answer ${JSON.stringify(answer)} names the problem`, (t) => {
		t.throws(() => parseCheckinAnswer(answer), { instanceOf: CheckinError, message });
	});
}
