import test from 'ava';
import semver from 'semver';
import {
	compareSemver,
	isNewer,
	isSemver,
	MAX_SEMVER_LENGTH,
	parseSemver,
	semverSatisfies,
	type SemVer,
	type SemverOperator,
} from '../../modules/semver';

const MAX = Number.MAX_SAFE_INTEGER;

// Valid versions and what they parse to: [text, major, minor, patch, prerelease, build].
const VALID: [string, number, number, number, (string | number)[], string[]][] = [
	['0.0.0', 0, 0, 0, [], []],
	['1.2.3', 1, 2, 3, [], []],
	['10.20.30', 10, 20, 30, [], []],
	['1.0.0-0', 1, 0, 0, [0], []],
	['1.0.0-alpha', 1, 0, 0, ['alpha'], []],
	['1.0.0-alpha.1', 1, 0, 0, ['alpha', 1], []],
	['1.0.0-alpha.beta', 1, 0, 0, ['alpha', 'beta'], []],
	['1.0.0-alpha.0valid', 1, 0, 0, ['alpha', '0valid'], []],
	['1.0.0-0A.is.legal', 1, 0, 0, ['0A', 'is', 'legal'], []],
	['1.0.0-x.7.z.92', 1, 0, 0, ['x', 7, 'z', 92], []],
	['1.0.0--', 1, 0, 0, ['-'], []],
	['1.0.0---RC-SNAPSHOT.12--9', 1, 0, 0, ['--RC-SNAPSHOT', '12--9'], []],
	['1.0.0-01a', 1, 0, 0, ['01a'], []],
	['1.0.0+build.1', 1, 0, 0, [], ['build', '1']],
	['1.0.0+001', 1, 0, 0, [], ['001']],
	['1.0.0+21AF26D3----117B344092BD', 1, 0, 0, [], ['21AF26D3----117B344092BD']],
	['1.0.0-beta+exp.sha.5114f85', 1, 0, 0, ['beta'], ['exp', 'sha', '5114f85']],
	['1.0.0-rc.1+build-1.x', 1, 0, 0, ['rc', 1], ['build-1', 'x']],
	['1.0.0-a-b+c-d-', 1, 0, 0, ['a-b'], ['c-d-']],
	// The largest numbers that still compare exactly.
	[`${MAX}.${MAX}.${MAX}`, MAX, MAX, MAX, [], []],
	[`1.0.0-${MAX}`, 1, 0, 0, [MAX], []],
	// Exactly the length cap.
	[`1.0.0-${'a'.repeat(MAX_SEMVER_LENGTH - 6)}`, 1, 0, 0, ['a'.repeat(MAX_SEMVER_LENGTH - 6)], []],
];

// Invalid versions, each with why it is invalid.
const INVALID: [unknown, string][] = [
	['', 'empty'],
	['1', 'one part'],
	['1.2', 'two parts'],
	['1.2.3.4', 'four parts'],
	['1..3', 'empty part'],
	['.1.2.3', 'leading dot'],
	['1.2.3.', 'trailing dot'],
	['01.0.0', 'leading zero in major'],
	['1.01.0', 'leading zero in minor'],
	['1.0.00', 'leading zero in patch'],
	['1.0.0-01', 'leading zero in numeric pre-release identifier'],
	['1.0.0-alpha.00', 'leading zero in a later numeric identifier'],
	['1.0.0-', 'empty pre-release'],
	['1.0.0+', 'empty build'],
	['1.0.0-+build', 'empty pre-release before build'],
	['1.0.0-alpha..1', 'empty pre-release identifier'],
	['1.0.0-alpha.', 'trailing dot in pre-release'],
	['1.0.0+build.', 'trailing dot in build'],
	['1.0.0+a+b', 'second plus'],
	['1.0.0-a_b', 'underscore'],
	['1.0.0-é', 'non-ASCII letter'],
	['1.0.0-١', 'non-ASCII digit in pre-release'],
	['١.0.0', 'non-ASCII digit in major'],
	['v1.2.3', 'leading v'],
	['V1.2.3', 'leading V'],
	['=1.2.3', 'leading ='],
	[' 1.2.3', 'leading space'],
	['1.2.3 ', 'trailing space'],
	['1.2.3\n', 'trailing newline'],
	['1.2.3\u0000', 'NUL'],
	['1.2.-3', 'negative patch'],
	['1.2.3a', 'letter after patch'],
	['1.2.x', 'wildcard'],
	['1.2.3 - 2.0.0', 'range'],
	['^1.2.3', 'caret range'],
	['1.2.3-a b', 'space in pre-release'],
	['1.2.0x10', 'hex'],
	['1e3.0.0', 'exponent'],
	['+1.2.3', 'leading plus'],
	[`${MAX + 1}.0.0`, 'major above MAX_SAFE_INTEGER'],
	[`1.${MAX + 1}.0`, 'minor above MAX_SAFE_INTEGER'],
	['1.0.99999999999999999999', 'huge patch'],
	[`1.0.0-${MAX + 1}`, 'numeric pre-release identifier above MAX_SAFE_INTEGER'],
	['1.0.0-99999999999999999999', 'huge numeric pre-release identifier'],
	[`1.0.0-${'a'.repeat(MAX_SEMVER_LENGTH - 5)}`, 'one past the length cap'],
	[`1.0.0+${'1'.repeat(10_000)}`, 'far past the length cap'],
	[123, 'a number'],
	[null, 'null'],
	[undefined, 'undefined'],
	[{ major: 1 }, 'an object'],
	[['1.0.0'], 'an array'],
];

// Versions from the SemVer 2.0.0 spec (item 11), in increasing precedence.
const SPEC_ORDER = [
	'1.0.0-alpha',
	'1.0.0-alpha.1',
	'1.0.0-alpha.beta',
	'1.0.0-beta',
	'1.0.0-beta.2',
	'1.0.0-beta.11',
	'1.0.0-rc.1',
	'1.0.0',
	'2.0.0',
	'2.1.0',
	'2.1.1',
];

// Pairs of equal precedence: build metadata is ignored.
const EQUAL: [string, string][] = [
	['1.0.0+build.1', '1.0.0'],
	['1.0.0+a', '1.0.0+b'],
	['1.0.0-alpha+001', '1.0.0-alpha+exp.sha'],
	['1.0.0-rc.1+1', '1.0.0-rc.1'],
];

// Further precedence facts, each [lower, higher].
const LOWER_HIGHER: [string, string][] = [
	['1.0.0-0', '1.0.0-1'],
	['1.0.0-2', '1.0.0-10'], // numeric, not lexical
	['1.0.0-999', '1.0.0-a'], // numbers before strings
	['1.0.0-Z', '1.0.0-a'], // ASCII order: upper case first
	['1.0.0--', '1.0.0-0a'], // '-' (45) before '0' (48)
	['1.0.0-alpha', '1.0.0-alpha.0'], // more identifiers rank higher
	['1.0.0-alpha.9', '1.0.0-alpha.a'],
	['1.0.0-rc.1', '1.0.0'],
	['0.9.99', '1.0.0-0'],
	['1.9.0', '1.10.0'],
	['1.0.9', '1.0.10'],
	[`1.0.0-${MAX - 1}`, `1.0.0-${MAX}`],
	[`${MAX - 1}.0.0`, `${MAX}.0.0`],
];

test('valid versions parse to their parts', (t) => {
	for (const [text, major, minor, patch, prerelease, build] of VALID) {
		const expected: SemVer = { major, minor, patch, prerelease, build, raw: text };
		t.deepEqual(parseSemver(text), expected, text);
		t.true(isSemver(text), text);
	}
});

test('invalid versions give null and never throw', (t) => {
	for (const [text, why] of INVALID) {
		t.is(parseSemver(text), null, why);
		t.false(isSemver(text), why);
	}
});

// Versions npm semver keeps but this module refuses, so that comparisons stay exact.
const NPM_ONLY = [`1.0.0-${MAX + 1}`, '1.0.0-99999999999999999999'];

test('the tables agree with npm semver', (t) => {
	for (const [text] of VALID) t.true(npmStrictlyValid(text), text);
	for (const [text, why] of INVALID) if (typeof text === 'string') t.false(npmStrictlyValid(text), why);
	for (const text of NPM_ONLY) {
		t.not(semver.valid(text), null, text);
		t.false(isSemver(text), text);
	}
	// npm rounds such identifiers, so distinct versions tie there.
	t.is(semver.compare(NPM_ONLY[1], '1.0.0-99999999999999999998'), 0);
});

test('the spec example is in increasing precedence', (t) => {
	for (let i = 0; i < SPEC_ORDER.length; i++) {
		for (let j = 0; j < SPEC_ORDER.length; j++) {
			const expected = i < j ? -1 : i > j ? 1 : 0;
			t.is(compareSemver(SPEC_ORDER[i], SPEC_ORDER[j]), expected, `${SPEC_ORDER[i]} vs ${SPEC_ORDER[j]}`);
		}
	}
	const shuffled = [...SPEC_ORDER].reverse();
	shuffled.push(shuffled.shift() as string);
	t.deepEqual(shuffled.sort(compareSemver), SPEC_ORDER);
});

test('build metadata is ignored for precedence', (t) => {
	for (const [a, b] of EQUAL) {
		t.is(compareSemver(a, b), 0, `${a} vs ${b}`);
		t.is(compareSemver(b, a), 0, `${b} vs ${a}`);
		t.true(semverSatisfies(a, '==', b));
		t.false(semverSatisfies(a, '!=', b));
		t.false(isNewer(a, b));
	}
});

test('further precedence rules', (t) => {
	for (const [low, high] of LOWER_HIGHER) {
		t.is(compareSemver(low, high), -1, `${low} < ${high}`);
		t.is(compareSemver(high, low), 1, `${high} > ${low}`);
		t.true(isNewer(high, low));
		t.false(isNewer(low, high));
	}
});

// [a, op, b, expected]
const SATISFIES: [string, SemverOperator, string, boolean][] = [
	['1.2.3', '<', '1.2.4', true],
	['1.2.3', '<', '1.2.3', false],
	['1.2.3', '<=', '1.2.3', true],
	['1.2.4', '<=', '1.2.3', false],
	['2.0.0', '>', '2.0.0-rc.1', true],
	['2.0.0-rc.1', '>', '2.0.0', false],
	['1.2.3', '>=', '1.2.3+meta', true],
	['1.2.2', '>=', '1.2.3', false],
	['1.2.3+a', '==', '1.2.3+b', true],
	['1.2.3', '==', '1.2.4', false],
	['1.2.3', '=', '1.2.3', true],
	['1.2.3-0', '=', '1.2.3', false],
	['1.2.3', '!=', '1.2.4', true],
	['1.2.3', '!=', '1.2.3', false],
];

test('semverSatisfies applies each operator', (t) => {
	for (const [a, op, b, expected] of SATISFIES) t.is(semverSatisfies(a, op, b), expected, `${a} ${op} ${b}`);
});

test('parsed versions are accepted in place of strings', (t) => {
	const a = parseSemver('1.0.0-beta.2') as SemVer;
	const b = parseSemver('1.0.0-beta.11') as SemVer;
	t.is(compareSemver(a, b), -1);
	t.is(compareSemver(a, '1.0.0-beta.2+x'), 0);
	t.true(semverSatisfies(b, '>', a));
	t.true(isNewer('1.0.0', b));
});

test('invalid versions are refused with a TypeError that names them', (t) => {
	t.throws(() => compareSemver('v1.0.0', '1.0.0'), { instanceOf: TypeError, message: 'Invalid version: "v1.0.0"' });
	t.throws(() => compareSemver('1.0.0', '1.0'), { instanceOf: TypeError, message: 'Invalid version: "1.0"' });
	t.throws(() => isNewer('1.0.0', 'latest'), { instanceOf: TypeError, message: 'Invalid version: "latest"' });
	t.throws(() => semverSatisfies('1.0.0', '<', '01.0.0'), { instanceOf: TypeError, message: 'Invalid version: "01.0.0"' });
	t.throws(() => compareSemver('1.0.0', 'a"\n'), { instanceOf: TypeError, message: 'Invalid version: "a\\"\\n"' });
	// Long hostile input is cut short in the message.
	const error = t.throws(() => compareSemver('x'.repeat(5000), '1.0.0'), { instanceOf: TypeError });
	t.true(error.message.length < 120, error.message);
	t.true(error.message.startsWith('Invalid version: "xxx'));
	// Callers without types: wrong kinds of value and malformed objects.
	const loose = compareSemver as (a: unknown, b: unknown) => number;
	t.throws(() => loose(1, '1.0.0'), { instanceOf: TypeError, message: 'Invalid version: expected a string, got a value of type number' });
	t.throws(() => loose('1.0.0', null), { instanceOf: TypeError, message: 'Invalid version: expected a string, got null' });
	const malformed: unknown[] = [
		{ major: 1, minor: 0, patch: 0, prerelease: [], build: [] },
		{ major: -1, minor: 0, patch: 0, prerelease: [], build: [], raw: '' },
		{ major: 1.5, minor: 0, patch: 0, prerelease: [], build: [], raw: '' },
		{ major: 1, minor: 0, patch: 0, prerelease: ['12'], build: [], raw: '' },
		{ major: 1, minor: 0, patch: 0, prerelease: [''], build: [], raw: '' },
		{ major: 1, minor: 0, patch: 0, prerelease: [MAX + 1], build: [], raw: '' },
		{ major: 1, minor: 0, patch: 0, prerelease: [], build: ['a+b'], raw: '' },
	];
	for (const value of malformed) {
		t.throws(() => loose(value, '1.0.0'), { instanceOf: TypeError, message: 'Invalid version: not a well-formed SemVer object' });
	}
});

test('an unknown operator is refused with a TypeError', (t) => {
	const loose = semverSatisfies as (a: string, op: unknown, b: string) => boolean;
	for (const op of ['===', '<>', '~', '^', '', ' <', 'lt']) {
		t.throws(() => loose('1.0.0', op, '1.0.0'), {
			instanceOf: TypeError,
			message: `Invalid semver operator: ${JSON.stringify(op)} (expected one of < <= > >= == != =)`,
		});
	}
	t.throws(() => loose('1.0.0', undefined, '1.0.0'), { instanceOf: TypeError, message: /^Invalid semver operator: a value of type undefined/ });
	// The operator is checked even when a version is also wrong.
	t.throws(() => loose('nope', '=~', '1.0.0'), { instanceOf: TypeError, message: /^Invalid semver operator/ });
});

test('hostile input is refused quickly', (t) => {
	const inputs = [
		'1.0.0-' + 'a.'.repeat(100_000),
		'1'.repeat(1_000_000),
		'1.0.0+' + '-'.repeat(1_000_000),
		'.'.repeat(1_000_000),
	];
	const start = Date.now();
	for (let round = 0; round < 100; round++) for (const text of inputs) t.is(parseSemver(text), null);
	t.true(Date.now() - start < 1000);
});

/*
 * Differential test against npm `semver`. Its `valid` also accepts a leading `v` and surrounding
 * whitespace, which strict SemVer refuses, and keeps numeric pre-release identifiers above
 * MAX_SAFE_INTEGER, which this module refuses so as to compare exactly; this oracle takes those
 * differences out.
 */
function npmStrictlyValid(text: string): boolean {
	if (text.startsWith('v') || text !== text.trim()) return false;
	const parsed = semver.parse(text);
	if (parsed === null) return false;
	return !parsed.prerelease.some((id) => typeof id === 'string' && /^[0-9]+$/.test(id) && Number(id) > MAX);
}

/** mulberry32: a tiny seeded PRNG, so every run generates the same versions. */
function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let z = state;
		z = Math.imul(z ^ (z >>> 15), z | 1);
		z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
		return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
	};
}

class Generator {
	private readonly random: () => number;
	// Shared pools make many pairs agree on the core and on pre-release prefixes.
	private readonly cores = ['0.0.0', '0.1.0', '1.0.0', '1.0.1', '1.2.3', '2.0.0', '10.0.0'];
	private readonly prefixes: string[][] = [['alpha'], ['beta'], ['rc'], ['0'], ['alpha', '1'], ['x-y']];

	constructor(seed: number) {
		this.random = mulberry32(seed);
	}

	chance(p: number): boolean {
		return this.random() < p;
	}

	private int(n: number): number {
		return Math.floor(this.random() * n);
	}

	private pick<T>(items: readonly T[]): T {
		return items[this.int(items.length)];
	}

	private number(): string {
		const r = this.random();
		if (r < 0.6) return String(this.int(4));
		if (r < 0.85) return String(this.int(20));
		if (r < 0.97) return String(this.int(1_000_000));
		return String(MAX - this.int(3));
	}

	private chars(alphabet: string, min: number, max: number): string {
		let out = '';
		const length = min + this.int(max - min + 1);
		for (let i = 0; i < length; i++) out += alphabet[this.int(alphabet.length)];
		return out;
	}

	private prereleaseIdentifier(): string {
		const r = this.random();
		if (r < 0.4) return this.number();
		if (r < 0.7) return this.pick(['alpha', 'beta', 'rc', 'a', 'b', 'A', 'Z', '-', '--', 'a-b', '0a', '1-', 'x-1', 'alpha1']);
		return this.chars('0123456789abzAZ-', 1, 5);
	}

	private prerelease(): string[] {
		const ids = this.random() < 0.6 ? [...this.pick(this.prefixes)] : [];
		const extra = (ids.length === 0 ? 1 : 0) + this.int(3);
		for (let i = 0; i < extra; i++) ids.push(this.prereleaseIdentifier());
		// Remember some of the results so later versions extend them.
		if (this.random() < 0.1 && this.prefixes.length < 40) this.prefixes.push(ids);
		return ids;
	}

	private build(): string[] {
		const ids: string[] = [];
		const count = 1 + this.int(3);
		for (let i = 0; i < count; i++) ids.push(this.chars('0123456789abcdefXYZ-', 1, 7));
		return ids;
	}

	/** A version that is valid by construction, apart from chance leading zeros in identifiers. */
	valid(): string {
		let text = this.random() < 0.8 ? this.pick(this.cores) : `${this.number()}.${this.number()}.${this.number()}`;
		if (this.random() < 0.7) text += `-${this.prerelease().join('.')}`;
		if (this.random() < 0.25) text += `+${this.build().join('.')}`;
		return text;
	}

	/** A mangled version: most are invalid, a few turn out valid, and the oracle decides. */
	mangled(): string {
		const r = this.random();
		if (r < 0.2) return this.chars('0123456789.-+abvZ _', 1, 14);
		const text = this.valid();
		const at = this.int(text.length + 1);
		if (r < 0.4) return text.slice(0, at) + this.pick(['.', '-', '+', '0', '_', ' ', 'é', '..', '00']) + text.slice(at);
		if (r < 0.55) return text.slice(0, at) + text.slice(at + 1);
		if (r < 0.65) return this.pick(['v', '=', ' ', '0', '-']) + text;
		if (r < 0.75) return text + this.pick(['.', '-', '+', ' ', '\n', '.0', '+x+y']);
		if (r < 0.85) return text.replace(/\.(\d)/, '.0$1');
		if (r < 0.9) return `${text.split('.')[0]}.${this.number()}`;
		// A major number past MAX_SAFE_INTEGER.
		return text.replace(/^\d+/, '9'.repeat(16 + this.int(5)));
	}
}

function generate(seed: number, count: number): string[] {
	const generator = new Generator(seed);
	const out: string[] = [];
	for (let i = 0; i < count; i++) out.push(generator.chance(0.85) ? generator.valid() : generator.mangled());
	return out;
}

const VERSIONS = generate(0x5e3e7, 5000);
const VALID_VERSIONS = VERSIONS.filter((v) => npmStrictlyValid(v));

test('validity agrees with npm semver on generated versions', (t) => {
	// The generator must produce a real mix, or this test proves little.
	t.true(VALID_VERSIONS.length > 3500, `${VALID_VERSIONS.length} valid`);
	t.true(VERSIONS.length - VALID_VERSIONS.length > 400, `${VERSIONS.length - VALID_VERSIONS.length} invalid`);
	t.log(`${VALID_VERSIONS.length} valid, ${VERSIONS.length - VALID_VERSIONS.length} invalid`);
	const disagreements = VERSIONS.filter((v) => isSemver(v) !== npmStrictlyValid(v));
	t.deepEqual(disagreements, []);
});

test('precedence agrees with npm semver on generated pairs', (t) => {
	// Most pairs are drawn from versions with the same core, so the pre-release rules get exercised.
	const byCore = new Map<string, string[]>();
	for (const v of VALID_VERSIONS) {
		const core = v.replace(/[-+].*$/, '');
		const bucket = byCore.get(core);
		if (bucket) bucket.push(v);
		else byCore.set(core, [v]);
	}
	const random = mulberry32(0xc0ffee);
	const pick = (items: string[]): string => items[Math.floor(random() * items.length)];
	let sameCore = 0;
	let sharedPrefix = 0;
	let equal = 0;
	const mismatches: string[] = [];
	for (let i = 0; i < 20_000; i++) {
		const a = pick(VALID_VERSIONS);
		const b = random() < 0.7 ? pick(byCore.get(a.replace(/[-+].*$/, '')) as string[]) : pick(VALID_VERSIONS);
		const ours = compareSemver(a, b);
		const theirs = semver.compare(a, b);
		if (ours !== theirs) mismatches.push(`${a} vs ${b}: ${ours}, npm ${theirs}`);
		const x = new semver.SemVer(a);
		const y = new semver.SemVer(b);
		if (x.compareMain(y) === 0) {
			sameCore++;
			if (x.prerelease.length > 0 && y.prerelease.length > 0 && x.prerelease[0] === y.prerelease[0]) sharedPrefix++;
		}
		if (theirs === 0) equal++;
	}
	t.log(`${sameCore} same core, ${sharedPrefix} shared first identifier, ${equal} ties`);
	t.deepEqual(mismatches.slice(0, 10), []);
	// The generator must make the comparisons non-trivial, or this test proves little.
	t.true(sameCore > 10_000, `${sameCore} pairs share major.minor.patch`);
	t.true(sharedPrefix > 1000, `${sharedPrefix} pairs also share the first pre-release identifier`);
	t.true(equal > 500, `${equal} pairs of equal precedence`);
});

test('sorting by either gives the same order', (t) => {
	const ours = [...VALID_VERSIONS].sort(compareSemver);
	const theirs = [...VALID_VERSIONS].sort(semver.compare);
	t.deepEqual(ours, theirs);
	for (let i = 1; i < ours.length; i++) t.true(compareSemver(ours[i - 1], ours[i]) <= 0);
});
