/*
 * Strict SemVer 2.0.0 (https://semver.org): parsing and precedence for firmware versions.
 *
 * Only the spec's grammar is accepted: no leading `v` or `=`, no surrounding whitespace, no loose
 * forms such as `1.2`. Input is checked with a hand-written scanner over at most 256 characters,
 * so hostile strings cost linear time and no regular expression can backtrack.
 *
 * Every number, including numeric pre-release identifiers, must be at most
 * Number.MAX_SAFE_INTEGER so that comparisons are exact. npm `semver` rejects larger
 * major/minor/patch numbers too, but keeps larger numeric pre-release identifiers and then
 * compares them with rounding; those are refused here instead.
 */

/** A parsed version. Numeric pre-release identifiers are numbers, the others strings. */
export interface SemVer {
	major: number;
	minor: number;
	patch: number;
	prerelease: (string | number)[];
	/** Build metadata identifiers; they play no part in precedence. */
	build: string[];
	/** The text the version was parsed from. */
	raw: string;
}

/** The comparison operators `semverSatisfies` understands; `=` and `==` mean the same. */
export type SemverOperator = '<' | '<=' | '>' | '>=' | '==' | '!=' | '=';

export const SEMVER_OPERATORS: readonly SemverOperator[] = ['<', '<=', '>', '>=', '==', '!=', '='];

/** Longest version text accepted, as in npm `semver`. */
export const MAX_SEMVER_LENGTH = 256;

const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_HYPHEN = 45;

function isDigit(code: number): boolean {
	return code >= CHAR_0 && code <= CHAR_9;
}

/** [0-9A-Za-z-], the only characters allowed in identifiers. */
function isIdentifierChar(code: number): boolean {
	return isDigit(code) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === CHAR_HYPHEN;
}

function allDigits(text: string): boolean {
	for (let i = 0; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return false;
	return true;
}

function allIdentifierChars(text: string): boolean {
	for (let i = 0; i < text.length; i++) if (!isIdentifierChar(text.charCodeAt(i))) return false;
	return true;
}

/**
 * The value of a numeric identifier (`0` or digits without a leading zero, at most
 * MAX_SAFE_INTEGER), or -1 when `text` is not one.
 */
function numericIdentifier(text: string): number {
	if (text.length === 0 || text.length > 16 || !allDigits(text)) return -1;
	if (text.length > 1 && text.charCodeAt(0) === CHAR_0) return -1;
	const value = Number(text);
	return value <= Number.MAX_SAFE_INTEGER ? value : -1;
}

/** A pre-release identifier's value, or null when `text` is not a valid one. */
function prereleaseIdentifier(text: string): string | number | null {
	if (text.length === 0) return null;
	if (allDigits(text)) {
		const value = numericIdentifier(text);
		return value < 0 ? null : value;
	}
	return allIdentifierChars(text) ? text : null;
}

/** Parses a strict SemVer 2.0.0 string; anything else (including non-strings) gives null. */
export function parseSemver(text: unknown): SemVer | null {
	if (typeof text !== 'string' || text.length === 0 || text.length > MAX_SEMVER_LENGTH) return null;

	// The core and the pre-release never contain '+', and the core never contains '-', so the
	// first of each splits the text unambiguously.
	const plus = text.indexOf('+');
	const head = plus < 0 ? text : text.slice(0, plus);
	const dash = head.indexOf('-');
	const core = dash < 0 ? head : head.slice(0, dash);

	const parts = core.split('.');
	if (parts.length !== 3) return null;
	const major = numericIdentifier(parts[0]);
	const minor = numericIdentifier(parts[1]);
	const patch = numericIdentifier(parts[2]);
	if (major < 0 || minor < 0 || patch < 0) return null;

	const prerelease: (string | number)[] = [];
	if (dash >= 0) {
		for (const part of head.slice(dash + 1).split('.')) {
			const id = prereleaseIdentifier(part);
			if (id === null) return null;
			prerelease.push(id);
		}
	}

	const build: string[] = [];
	if (plus >= 0) {
		for (const part of text.slice(plus + 1).split('.')) {
			// Build identifiers may have leading zeros: they are never compared.
			if (part.length === 0 || !allIdentifierChars(part)) return null;
			build.push(part);
		}
	}

	return { major, minor, patch, prerelease, build, raw: text };
}

/** True when `text` is a strict SemVer 2.0.0 string. */
export function isSemver(text: unknown): text is string {
	return parseSemver(text) !== null;
}

function isSafeNatural(value: unknown): value is number {
	return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Checks a caller-supplied SemVer object so that a hand-built one cannot compare wrongly. */
function isWellFormed(value: object): value is SemVer {
	const v = value as Partial<SemVer>;
	if (!isSafeNatural(v.major) || !isSafeNatural(v.minor) || !isSafeNatural(v.patch)) return false;
	if (typeof v.raw !== 'string' || !Array.isArray(v.prerelease) || !Array.isArray(v.build)) return false;
	for (const id of v.prerelease as unknown[]) {
		if (typeof id === 'number') {
			if (!isSafeNatural(id)) return false;
		} else if (typeof id !== 'string' || id.length === 0 || allDigits(id) || !allIdentifierChars(id)) {
			// An all-digit string would be ambiguous: numeric identifiers are numbers.
			return false;
		}
	}
	for (const id of v.build as unknown[]) {
		if (typeof id !== 'string' || id.length === 0 || !allIdentifierChars(id)) return false;
	}
	return true;
}

/** Text for error messages: quoted and escaped, and cut short so hostile input stays readable. */
function describe(value: unknown): string {
	if (typeof value === 'string') {
		const shown = value.length > 80 ? `${value.slice(0, 80)}...` : value;
		return JSON.stringify(shown);
	}
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	return `a value of type ${typeof value}`;
}

function toSemver(value: unknown): SemVer {
	if (typeof value === 'string') {
		const parsed = parseSemver(value);
		if (parsed) return parsed;
		throw new TypeError(`Invalid version: ${describe(value)}`);
	}
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		if (isWellFormed(value)) return value;
		throw new TypeError('Invalid version: not a well-formed SemVer object');
	}
	throw new TypeError(`Invalid version: expected a string, got ${describe(value)}`);
}

function compareNumbers(a: number, b: number): -1 | 0 | 1 {
	return a < b ? -1 : a > b ? 1 : 0;
}

/** Spec item 11.4.1–3: numbers numerically, numbers before strings, strings in ASCII order. */
function compareIdentifiers(a: string | number, b: string | number): -1 | 0 | 1 {
	if (typeof a === 'number') return typeof b === 'number' ? compareNumbers(a, b) : -1;
	if (typeof b === 'number') return 1;
	return a < b ? -1 : a > b ? 1 : 0;
}

function comparePrerelease(a: (string | number)[], b: (string | number)[]): -1 | 0 | 1 {
	// A release ranks above any of its pre-releases.
	if (a.length === 0) return b.length === 0 ? 0 : 1;
	if (b.length === 0) return -1;
	const shared = Math.min(a.length, b.length);
	for (let i = 0; i < shared; i++) {
		const order = compareIdentifiers(a[i], b[i]);
		if (order !== 0) return order;
	}
	// Equal so far: the longer list of identifiers ranks higher.
	return compareNumbers(a.length, b.length);
}

/**
 * Precedence of `a` against `b`: -1, 0 (equal precedence; build metadata is ignored) or 1.
 * Throws a TypeError naming the input when either is not a valid version.
 */
export function compareSemver(a: string | SemVer, b: string | SemVer): -1 | 0 | 1 {
	const x = toSemver(a);
	const y = toSemver(b);
	return (
		compareNumbers(x.major, y.major) ||
		compareNumbers(x.minor, y.minor) ||
		compareNumbers(x.patch, y.patch) ||
		comparePrerelease(x.prerelease, y.prerelease)
	);
}

export function isSemverOperator(op: unknown): op is SemverOperator {
	return typeof op === 'string' && (SEMVER_OPERATORS as readonly string[]).indexOf(op) >= 0;
}

/**
 * Whether `a op b` holds by SemVer precedence, e.g. `semverSatisfies('1.2.0', '>=', '1.1.9')`.
 * Throws a TypeError for an unknown operator or an invalid version.
 */
export function semverSatisfies(a: string | SemVer, op: SemverOperator, b: string | SemVer): boolean {
	if (!isSemverOperator(op)) {
		throw new TypeError(`Invalid semver operator: ${describe(op)} (expected one of ${SEMVER_OPERATORS.join(' ')})`);
	}
	const order = compareSemver(a, b);
	switch (op) {
		case '<':
			return order < 0;
		case '<=':
			return order <= 0;
		case '>':
			return order > 0;
		case '>=':
			return order >= 0;
		case '==':
		case '=':
			return order === 0;
		case '!=':
			return order !== 0;
	}
}

/** True when `candidate` has higher precedence than `current`; throws like `compareSemver`. */
export function isNewer(candidate: string | SemVer, current: string | SemVer): boolean {
	return compareSemver(candidate, current) > 0;
}
