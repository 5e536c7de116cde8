/*
 * The distribution policy language: what expressions mean, what is refused when a release is
 * saved (with the column), and the limits that keep it cheap.
 */
import test from 'ava';
import { compilePolicy, DEFAULT_POLICY, MAX_POLICY_LENGTH, policyScope, PolicyError } from '../../simulator/cloud/policy/policy';
import { tokenize } from '../../simulator/cloud/policy/lexer';

/** A check-in body like a device.json5 plus the version. */
const DEVICE: Record<string, unknown> = {
	id: 'dev-17',
	product: 'sensor',
	model: 'ESP32-S3',
	name: 'kitchen sensor',
	memory: 256,
	ports: 32,
	test: false,
	'try-beta-features': 1,
	beta: true,
	ratio: 0.5,
	count: '12',
	label: '',
	nothing: null,
	nested: { a: 1 },
	list: [1, 2],
	region: 'eu-west',
};

function matches(policy: string, version = '1.2.5', newVersion = '2.0.0', properties = DEVICE): boolean {
	return compilePolicy(policy).matches(policyScope({ ...properties, version }, version, newVersion));
}

test('Ioto examples and the default policy', (t) => {
	// [policy, device version, release version, matches]
	const table: [string, string, string, boolean][] = [
		['', '1.0.0', '1.1.0', true],
		['', '1.1.0', '1.1.0', false],
		['', '1.2.0', '1.1.0', false],
		['   \n\t', '1.0.0', '1.1.0', true],
		[DEFAULT_POLICY, '1.0.0-beta.2', '1.0.0', true],
		['major >= 1 && minor >= 1 && patch >= 5 && memory >= 256 && ports == 32', '1.2.5', '2.0.0', true],
		['major >= 1 && minor >= 1 && patch >= 5 && memory >= 256 && ports == 32', '1.2.4', '2.0.0', false],
		['try-beta-features == 1', '1.0.0', '2.0.0', true],
		["version == '1.2.3'", '1.2.3', '1.2.2', true],
		["version == '1.2.3'", '1.2.4', '1.2.2', false],
		['semver(version, "<", newVersion)', '1.9.9', '1.10.0', true],
		['semver(version, ">=", "1.2.0") && semver(newVersion, "==", "2.0.0")', '1.2.0', '2.0.0', true],
		['semver(version, "=", "1.2.0")', '1.2.0+build.7', '2.0.0', true],
		['semver(version, "!=", "1.2.0")', '1.2.0', '2.0.0', false],
	];
	for (const [policy, version, newVersion, expected] of table) {
		t.is(matches(policy, version, newVersion), expected, `${policy} on ${version} -> ${newVersion}`);
	}
});

test('operators and values', (t) => {
	// [policy, matches] for DEVICE at 1.2.5 and a release 2.0.0
	const table: [string, boolean][] = [
		// arithmetic and precedence
		['1 + 2 * 3 == 7', true],
		['(1 + 2) * 3 == 9', true],
		['10 - 4 - 3 == 3', true],
		['7 % 4 == 3 && 7 / 2 == 3.5', true],
		['2 ^ 3 ^ 2 == 512', true],
		['-2 ^ 2 == -4', true],
		['2 ^ -1 == 0.5', true],
		['-memory == -256 && +count == 12', true],
		['memory / 0 == null', true],
		['1e3 == 1000 && 2.5e-1 == 0.25', true],
		// logic
		['true && !false', true],
		['false || null || 0 || ""', false],
		['!label && !nothing && !test && beta', true],
		['!(memory > 100)', false],
		// comparisons across types
		['count == 12 && count > 9 && count < 100', true],
		['count == "12"', true],
		['"10" < "9"', true], // two strings compare as text
		['beta == 1 && test == 0', true],
		['beta == "true"', false],
		['ratio < 1 && ratio > 0.25', true],
		['model == "ESP32-S3" && model != "esp32-s3"', true],
		['name + "!" == "kitchen sensor!"', true],
		['"v" + memory == "v256"', true],
		['memory + 1 == 257 && memory + beta == 257', true],
		// string operators
		['model ^= "ESP32" && model ^!= "esp32"', true],
		['region $= "-west" && region $!= "-east"', true],
		['name >< "chen" && name <> "bath"', true],
		['memory ^= 25 && memory $= 6', true], // numbers are seen as text
		['"" ^= "" && label >< ""', true],
		// regular expressions
		['model =~ /^esp32-(s3|c3)$/i', true],
		['model =~ /^esp32/', false],
		['name =~ /\\bsensor\\b/ && name =~ /^[a-z ]+$/', true],
		['id =~ /^dev-\\d{2}$/ && !(id =~ /^dev-\\d{3}$/)', true],
		['memory =~ /^25\\d$/', true],
	];
	for (const [policy, expected] of table) t.is(matches(policy), expected, policy);
});

test('missing properties are null: decided, never an error', (t) => {
	// [policy, matches] with `missing` absent from the check-in, `nested` an object and `list` an array
	const table: [string, boolean][] = [
		['missing == null', true],
		['missing != null', false],
		['missing == 0 || missing == "" || missing == false', false],
		['missing != 1', true],
		['!missing', true],
		['missing < 1 || missing > 1 || missing <= 1 || missing >= 1', false],
		['missing + 1 == null && missing * 2 == null && -missing == null', true],
		['missing ^= "" || missing >< "x" || missing $= ""', false],
		['missing ^!= "a" && missing <> "x" && missing $!= "a"', true],
		['missing =~ /.*/', false],
		['semver(missing, "<", newVersion)', false],
		['nested == null && list == null', true],
		['nothing == null && nothing != 0', true],
		['try-beta-features-two == null', true],
	];
	for (const [policy, expected] of table) t.is(matches(policy), expected, policy);
});

test('names: a hyphen between letters joins one name; spaces make it a minus', (t) => {
	// [policy text, the names and operators the lexer sees]
	const table: [string, string[]][] = [
		['try-beta-features == 1', ['try-beta-features', '==', '1']],
		['patch-minor', ['patch-minor']],
		['patch - minor', ['patch', '-', 'minor']],
		['major-1', ['major', '-', '1']],
		['a_b-c_d', ['a_b-c_d']],
		['x--y', ['x', '-', '-', 'y']],
		['memory/2', ['memory', '/', '2']],
		['(a)/b/c', ['(', 'a', ')', '/', 'b', '/', 'c']],
	];
	for (const [text, expected] of table) {
		const seen = tokenize(text).filter((token) => token.kind !== 'end').map((token) => {
			switch (token.kind) {
				case 'name': return token.name;
				case 'operator': return token.op;
				case 'number': return String(token.value);
				default: return token.kind;
			}
		});
		t.deepEqual(seen, expected, text);
	}
	t.true(matches('patch - minor == 3'));
	t.true(matches('major-1 == 0'));
});

test('built-in variables win over check-in properties of the same name', (t) => {
	const properties = { ...DEVICE, major: 99, newVersion: 'x', patch: 'p' };
	t.true(matches('major == 1 && patch == 5 && newVersion == "2.0.0" && version == "1.2.5"', '1.2.5', '2.0.0', properties));
});

test('syntax errors are refused with their column', (t) => {
	// [policy, column (1-based), message]
	const table: [string, number, RegExp][] = [
		['memory >=', 10, /unexpected end of the policy/],
		['memory = 256', 8, /"=" is not an operator/],
		['a & b', 3, /did you mean &&/],
		['a | b', 3, /did you mean \|\|/],
		['(memory > 1', 12, /expected \) to close the \( at column 1/],
		['memory > 1)', 11, /unexpected "\)"/],
		['1 2', 3, /unexpected number 2/],
		['"open', 1, /string is not closed/],
		["'bad \\q'", 6, /unknown escape \\q/],
		['model =~ "esp"', 10, /=~ must be followed by a regular expression/],
		['/esp/ == model', 1, /regular expression may only follow =~/],
		['model =~ /esp', 10, /not closed with \//],
		['model =~ /a/g', 10, /flag "g" is not supported/],
		['model =~ /(?=a)/', 11, /lookahead/],
		['model =~ /(a)\\1/', 14, /back-references/],
		['model =~ /a**/', 13, /nothing to repeat/],
		['model =~ /[b-a]/', 13, /out of order/],
		['model =~ /x{2,1}/', 12, /smaller than n/],
		['model =~ /a{1000}/', 12, /above 100/],
		['model =~ /(ab/', 11, /not closed with \)/],
		['model =~ /ab)/', 13, /unmatched \)/],
		['foo(1)', 1, /unknown function foo\(\)/],
		['semver(version, "<")', 1, /takes 3 arguments \(got 2\)/],
		['semver(version, "~", "1.0.0")', 17, /operator of semver\(\)/],
		['semver(version, "<", "1.0")', 22, /SemVer 2\.0/],
		['semver(version, "<", 1)', 22, /SemVer 2\.0/],
		['memory >= 12abc', 11, /malformed number/],
		['memory # 1', 8, /unexpected character "#"/],
		['1e999 > 1', 1, /too large/],
		['', 0, /./], // not an error: the default policy (checked below)
	];
	for (const [policy, column, message] of table) {
		if (policy === '') continue;
		const error = t.throws(() => compilePolicy(policy), { instanceOf: PolicyError }, policy);
		t.regex(error?.message ?? '', message, policy);
		t.is((error?.position ?? -2) + 1, column, `column of the error in ${policy}: ${error?.message}`);
		t.regex(error?.message ?? '', new RegExp(`at column ${column}$`), policy);
	}
	t.notThrows(() => compilePolicy(''));
});

test('limits: 50 terms, 32 levels of nesting, 2048 characters', (t) => {
	const terms = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`).join(' || ');
	t.notThrows(() => compilePolicy(terms(50)));
	const tooMany = t.throws(() => compilePolicy(terms(51)), { instanceOf: PolicyError });
	t.regex(tooMany?.message ?? '', /more than 50 terms/);
	t.is(tooMany?.position, terms(50).length + 4, 'the 51st term is named');
	t.notThrows(() => compilePolicy(`${'('.repeat(32)}1${')'.repeat(32)}`));
	t.throws(() => compilePolicy(`${'('.repeat(33)}1${')'.repeat(33)}`), { message: /nested more than 32 levels/ });
	t.throws(() => compilePolicy(`${'!'.repeat(40)}true`), { message: /nested more than 32 levels/ });
	t.throws(() => compilePolicy(`${'('.repeat(2000)}`), { message: /nested more than 32 levels/ }, 'no stack overflow');
	const long = `memory > 1 ${' '.repeat(MAX_POLICY_LENGTH)}`;
	t.throws(() => compilePolicy(long), { message: /2048/ });
	// A term is a literal, a name, a regular expression or a call; operators are free.
	t.notThrows(() => compilePolicy('semver(version, "<", newVersion) && model =~ /x/'));
});

test('the percentage of matching devices follows the policy, not chance', (t) => {
	// A policy is a pure function of the device: the same check-in always gets the same answer.
	const policy = compilePolicy('memory >= 256 && name >< "sensor"');
	for (let i = 0; i < 100; i++) {
		const properties = { memory: 128 * (i % 4), name: i % 3 ? 'sensor' : 'gateway' };
		const first = policy.matches(policyScope(properties, '1.0.0', '2.0.0'));
		t.is(policy.matches(policyScope(properties, '1.0.0', '2.0.0')), first);
		t.is(first, properties.memory >= 256 && properties.name === 'sensor');
	}
});
