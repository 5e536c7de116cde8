/*
 * Generated inputs for the policy language: its regular expressions against JavaScript's on the
 * syntax they share, arithmetic and logic against JavaScript's, and random token soup, which
 * must compile or be refused with a PolicyError, and then evaluate to a boolean without throwing.
 *
 * UPDRAFT_FUZZ_CASES scales the number of cases (default 2000 per test); for a long run:
 *   UPDRAFT_FUZZ_CASES=200000 npx ava test/simulator/policy-fuzz.test.ts
 */
import test from 'ava';
import { compilePolicy, policyScope, PolicyError } from '../../simulator/cloud/policy/policy';
import { compileRegex } from '../../simulator/cloud/policy/regex';
import { random, type Random } from '../helpers/fuzz-random';

const CASES = Number(process.env.UPDRAFT_FUZZ_CASES ?? 2000);

// ---- regular expressions against JavaScript ----

const ATOMS = ['a', 'b', 'c', 'A', '-', '.', '\\d', '\\w', '\\s', '\\W', '[ab]', '[^a]', '[a-c]', '[A-Z0-9]', '\\.', ' ', '\\n'];

function regexSource(r: Random, depth = 0): string {
	const items = 1 + r.int(3);
	let out = '';
	for (let i = 0; i < items; i++) {
		const roll = r.next();
		let atom: string;
		if (depth < 2 && roll < 0.2) atom = `(${regexSource(r, depth + 1)}${r.next() < 0.5 ? `|${regexSource(r, depth + 1)}` : ''})`;
		else if (roll < 0.25) atom = r.pick(['^', '$', '\\b', '\\B']);
		else atom = r.pick(ATOMS);
		const assertion = atom === '^' || atom === '$' || atom === '\\b' || atom === '\\B';
		if (!assertion && r.next() < 0.35) atom += r.pick(['*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?']);
		out += atom;
	}
	return out;
}

function subject(r: Random): string {
	const length = r.int(12);
	let out = '';
	for (let i = 0; i < length; i++) out += r.pick(['a', 'b', 'c', 'A', 'B', '-', '.', '0', '7', ' ', '\n', '_']);
	return out;
}

test('regular expressions agree with JavaScript on the syntax they share', (t) => {
	const r = random(7);
	let compared = 0;
	for (let i = 0; i < CASES; i++) {
		const source = regexSource(r);
		const flags = r.pick(['', 'i', 'm', 's', 'im', 'is']);
		const ours = compileRegex(source, flags, 0);
		const theirs = new RegExp(source, flags);
		for (let k = 0; k < 4; k++) {
			const text = subject(r);
			if (ours.test(text) !== theirs.test(text)) {
				t.fail(`/${source}/${flags} on ${JSON.stringify(text)}: ours ${ours.test(text)}, JavaScript ${theirs.test(text)}`);
				return;
			}
			compared++;
		}
	}
	t.is(compared, CASES * 4);
});

test('patterns that make backtracking engines hang match in linear time', (t) => {
	// [pattern, subject that sends a backtracking engine into exponential or polynomial time]
	const table: [string, string][] = [
		['(a+)+$', `${'a'.repeat(4000)}!`],
		['(a|a)*b', 'a'.repeat(4000)],
		['(a*)*b', 'a'.repeat(4000)],
		['^([a-z]+)*$', `${'a'.repeat(4000)}1`],
		['(x+x+)+y', 'x'.repeat(4000)],
		['(.*a){20}', 'a'.repeat(19) + 'b'.repeat(4000)],
		['^(\\w+\\s?)*$', `${'word '.repeat(800)}!`],
	];
	for (const [pattern, text] of table) {
		const regex = compileRegex(pattern, '', 0);
		const started = performance.now();
		const result = regex.test(text);
		const ms = performance.now() - started;
		t.false(result, pattern);
		t.true(ms < 500, `${pattern} took ${ms.toFixed(0)} ms`);
	}
	t.true(compileRegex('(a+)+$', '', 0).test('aaaa'), 'and still matches what it should');
});

// ---- arithmetic and logic against JavaScript ----

function numericExpression(r: Random, depth = 0): { ours: string; js: string } {
	if (depth > 3 || r.next() < 0.3) {
		const n = String(r.int(11) - 5);
		return { ours: n, js: `(${n})` };
	}
	const a = numericExpression(r, depth + 1);
	const b = numericExpression(r, depth + 1);
	const roll = r.next();
	if (roll < 0.1) return { ours: `!(${a.ours})`, js: `(!(${a.js}))` };
	if (roll < 0.15) return { ours: `-(${a.ours})`, js: `(-(${a.js}))` };
	const op = r.pick(['+', '-', '*', '<', '<=', '>', '>=', '==', '!=', '&&', '||']);
	const js = op === '&&' || op === '||' ? `(!!(${a.js}) ${op} !!(${b.js}))` : op === '==' || op === '!=' ? `(+(${a.js}) ${op}= +(${b.js}))` : `(+(${a.js}) ${op} +(${b.js}))`;
	return { ours: `(${a.ours}) ${op} (${b.ours})`, js };
}

test('arithmetic, comparison and logic agree with JavaScript', (t) => {
	const r = random(11);
	let compared = 0;
	for (let i = 0; i < CASES; i++) {
		const { ours, js } = numericExpression(r);
		let policy;
		try {
			policy = compilePolicy(ours);
		} catch (error) {
			// Only the term and nesting limits may refuse a generated expression.
			t.regex((error as Error).message, /terms|nested/, ours);
			continue;
		}
		// JavaScript is the oracle here, in the test only; the cloud never evaluates policies so.
		const expected = Boolean(new Function(`return ${js}`)());
		t.is(policy.matches(policyScope({}, '1.0.0', '2.0.0')), expected, ours);
		compared++;
	}
	t.true(compared > CASES / 2);
});

// ---- token soup ----

const VOCABULARY = [
	'memory', 'model', 'version', 'newVersion', 'major', 'try-beta-features', 'missing', 'semver', 'null', 'true', 'false',
	'1', '256', '0.5', '-', '"esp32"', "'x'", '"1.2.3"', '/^esp/', '/a+/i', '(', ')', ',', '!', '+', '*', '/', '%', '^',
	'==', '!=', '<', '<=', '>', '>=', '&&', '||', '^=', '^!=', '$=', '$!=', '><', '<>', '=~', '=', '&', '#', '"', '\\', '[', ' ',
];

const DEVICES: Record<string, unknown>[] = [
	{},
	{ memory: 256, model: 'esp32-s3', 'try-beta-features': 1 },
	{ memory: '512', model: null, major: 'x' },
	{ memory: { nested: true }, model: ['list'], missing: '' },
	{ memory: -1e308, model: 'a'.repeat(4096) },
];

test('any token soup compiles or is refused with a PolicyError, and evaluates to a boolean', (t) => {
	const r = random(23);
	let compiled = 0;
	for (let i = 0; i < CASES; i++) {
		const length = 1 + r.int(16);
		const text = Array.from({ length }, () => r.pick(VOCABULARY)).join(r.next() < 0.5 ? ' ' : '');
		let policy;
		try {
			policy = compilePolicy(text);
		} catch (error) {
			if (!(error instanceof PolicyError)) {
				t.fail(`${JSON.stringify(text)} threw ${String(error)}`);
				return;
			}
			t.true(error.position >= 0 && error.position <= text.length, `position of ${JSON.stringify(text)}: ${error.message}`);
			continue;
		}
		compiled++;
		for (const device of DEVICES) {
			const result = policy.matches(policyScope(device, r.pick(['1.0.0', '2.0.0-rc.1', 'not-a-version']), '1.5.0'));
			if (typeof result !== 'boolean') {
				t.fail(`${JSON.stringify(text)} gave ${String(result)}`);
				return;
			}
		}
	}
	t.log(`${compiled} of ${CASES} generated policies compiled`);
	t.true(compiled > 0);
});

const SEEDS = [
	'semver(version, "<", newVersion) && memory >= 256',
	'model =~ /^esp32-(s3|c3)$/i || try-beta-features == 1',
	"region ^= 'eu' && name >< \"sensor\" && !(ports != 32)",
	'major >= 1 && minor * 2 ^ 2 % 3 <= patch - 1',
	'id =~ /[a-f0-9]{8}\\b/ && label $!= "-old" && label <> "x"',
];
const CHARACTERS = ['(', ')', '"', "'", '/', '\\', '=', '!', '^', '$', '<', '>', '~', '-', ' ', 'a', '1', '.', ',', '{', '}', '[', ']', '*', '+', '?', '|', '&', '\n', 'é', '\u2028', '\0'];

test('mutated policies compile or are refused with a PolicyError at a column inside the text', (t) => {
	const r = random(31);
	let refused = 0;
	for (let i = 0; i < CASES; i++) {
		let text = r.pick(SEEDS);
		for (let m = 1 + r.int(3); m > 0; m--) {
			const at = r.int(text.length + 1);
			const roll = r.next();
			if (roll < 0.4) text = text.slice(0, at) + r.pick(CHARACTERS) + text.slice(at);
			else if (roll < 0.8) text = text.slice(0, at) + text.slice(at + 1 + r.int(3));
			else text = text.slice(0, at) + text.slice(r.int(text.length), r.int(text.length)) + text.slice(at);
		}
		try {
			const policy = compilePolicy(text);
			t.is(typeof policy.matches(policyScope(r.pick(DEVICES), '1.0.0', '2.0.0')), 'boolean');
		} catch (error) {
			if (!(error instanceof PolicyError)) {
				t.fail(`${JSON.stringify(text)} threw ${String(error)}`);
				return;
			}
			t.true(error.position >= 0 && error.position <= text.length, `${JSON.stringify(text)}: ${error.message}`);
			refused++;
		}
	}
	t.log(`${refused} of ${CASES} mutated policies refused`);
});
