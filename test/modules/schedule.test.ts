import test from 'ava';
import { durationMs } from '../../modules/schedule/duration';
import { parseCron, nextMatch, matches, CRON_ALIASES } from '../../modules/schedule/cron';
import { backoffDelay } from '../../modules/backoff';
import { seededRandom } from '../../modules/random';

// Ioto duration values and the milliseconds they mean.
const durations: [unknown, number][] = [
	[0, 0], [30, 30_000], [1.5, 1500], ['30', 30_000], ['30 secs', 30_000], ['5 mins', 300_000], ['24 hrs', 86_400_000],
	['24 hr', 86_400_000], ['1 day', 86_400_000], ['2 weeks', 14 * 86_400_000], ['250ms', 250], [' 10 sec ', 10_000],
	['never', Infinity], ['forever', Infinity],
];
for (const [value, ms] of durations) test(`duration ${JSON.stringify(value)} = ${ms} ms`, (t) => t.is(durationMs(value, 'k'), ms));

for (const bad of [-1, NaN, '', 'soon', '5 parsecs', '1e3', null, {}, '-5 secs']) {
	test(`duration ${typeof bad === 'number' ? String(bad) : JSON.stringify(bad)} is refused naming the key`, (t) => {
		t.throws(() => durationMs(bad, 'update.period'), { instanceOf: RangeError, message: /update\.period/ });
	});
}

// Local time helpers: the schedule works in device local time, as Ioto's cron does.
const at = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();

// [spec, from, expected next match]
const nexts: [string, number, number][] = [
	['* * * * *', at(2026, 1, 5, 10, 7), at(2026, 1, 5, 10, 7)],
	['0 * * * *', at(2026, 1, 5, 10, 7), at(2026, 1, 5, 11, 0)],
	['*/15 * * * *', at(2026, 1, 5, 10, 7), at(2026, 1, 5, 10, 15)],
	['30 2 * * *', at(2026, 1, 5, 10, 7), at(2026, 1, 6, 2, 30)],
	['night', at(2026, 1, 5, 10, 7), at(2026, 1, 5, 18, 0)],
	['night', at(2026, 1, 5, 3, 59), at(2026, 1, 5, 3, 59)],
	['midnight', at(2026, 1, 5, 10, 7), at(2026, 1, 6, 0, 0)],
	// 2026-01-10 is a Saturday: weekdays and workhours wait for Monday.
	['weekdays', at(2026, 1, 10, 12, 0), at(2026, 1, 12, 0, 0)],
	['workhours', at(2026, 1, 10, 12, 0), at(2026, 1, 12, 9, 0)],
	['day', at(2026, 1, 5, 19, 0), at(2026, 1, 6, 6, 0)],
	['0 0 1 * *', at(2026, 1, 5, 10, 7), at(2026, 2, 1, 0, 0)],
	['0 0 29 2 *', at(2026, 3, 1), at(2028, 2, 29, 0, 0)],
	['0 12 * * 7', at(2026, 1, 5, 10, 7), at(2026, 1, 11, 12, 0)],
	['0-10/5 9 * * *', at(2026, 1, 5, 9, 6), at(2026, 1, 5, 9, 10)],
];
for (const [spec, from, expected] of nexts) {
	test(`cron "${spec}" next after ${new Date(from).toString().slice(0, 21)}`, (t) => {
		const parsed = parseCron(spec);
		const next = nextMatch(parsed, from);
		t.is(new Date(next).toString(), new Date(expected).toString());
		t.true(matches(parsed, new Date(next)));
	});
}

test('"never" and impossible dates never match', (t) => {
	t.is(nextMatch(parseCron('never'), Date.now()), Infinity);
	t.is(nextMatch(parseCron('0 0 31 2 *'), Date.now()), Infinity);
});

test('every alias parses', (t) => {
	for (const alias of Object.keys(CRON_ALIASES)) t.notThrows(() => parseCron(alias), alias);
});

for (const bad of ['* * * *', '60 * * * *', '* 24 * * *', '5-1 * * * *', '*/0 * * * *', 'a b c d e', '* * 32 * *']) {
	test(`cron "${bad}" is refused`, (t) => {
		t.throws(() => parseCron(bad), { instanceOf: SyntaxError });
	});
}

test('backoff grows exponentially under its cap, with full jitter', (t) => {
	const options = { base: 100, cap: 1000 };
	t.is(backoffDelay(1, () => 0.999999, options), 99);
	t.is(backoffDelay(3, () => 0.999999, options), 399);
	t.is(backoffDelay(10, () => 0.999999, options), 999);
	t.is(backoffDelay(50, () => 0.5, options), 500);
	t.is(backoffDelay(4, () => 0, options), 0);
});

test('jitter differs between devices and is reproducible for one', (t) => {
	const a = seededRandom('dev-1:0');
	const b = seededRandom('dev-2:0');
	const again = seededRandom('dev-1:0');
	const xs = [a(), a(), a()];
	t.notDeepEqual(xs, [b(), b(), b()]);
	t.deepEqual(xs, [again(), again(), again()]);
	for (const x of xs) t.true(x >= 0 && x < 1);
});
