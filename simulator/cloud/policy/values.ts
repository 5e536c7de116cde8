/*
 * What the operators of the policy language do with values. Every function is total: any
 * combination of inputs gives a value, never an exception, NaN or Infinity.
 *
 * Values are numbers, strings, booleans and null. A missing property is null, and so is a
 * property whose value is an object or an array (policies compare scalars only).
 *
 * Mixed types, decided once so that a policy means the same thing on every check-in:
 * - A number meets a string or a boolean through the other's numeric reading: "256" reads as
 *   256, true as 1, false as 0; a string that is not a plain decimal number has no numeric
 *   reading, and then the values are unequal and unordered.
 * - Two strings are ordered by UTF-16 code units, as in JavaScript ("1.10" < "1.9"; compare
 *   versions with semver()).
 * - null equals only null and is ordered against nothing: with a missing property `x`,
 *   `x == null`, `x != 1` and `!x` hold, while `x < 1`, `x >= 1` and `x == 0` do not.
 * - Arithmetic on anything without a numeric reading, or with a result that is not a finite
 *   number (division by zero), gives null, which then compares unequal to everything but null.
 * - `+` with a string on either side joins the two as text; null on either side gives null.
 */

export type Value = number | string | boolean | null;

/** Device properties as the policy sees them. */
export function fromProperty(value: unknown): Value {
	if (typeof value === 'number') return Number.isFinite(value) ? value : null;
	if (typeof value === 'string' || typeof value === 'boolean') return value;
	return null;
}

export function truthy(value: Value): boolean {
	if (value === null) return false;
	if (typeof value === 'boolean') return value;
	if (typeof value === 'number') return value !== 0;
	return value !== '';
}

const DECIMAL = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;

/** The numeric reading of a value, or null when it has none. */
export function numeric(value: Value): number | null {
	if (typeof value === 'number') return value;
	if (typeof value === 'boolean') return value ? 1 : 0;
	if (typeof value === 'string' && value.length <= 64 && DECIMAL.test(value)) {
		const n = Number(value);
		return Number.isFinite(n) ? n : null;
	}
	return null;
}

export function text(value: Value): string {
	return value === null ? '' : String(value);
}

function finite(n: number): Value {
	return Number.isFinite(n) ? n : null;
}

export function equal(a: Value, b: Value): boolean {
	if (a === null || b === null) return a === b;
	if (typeof a === typeof b) return a === b;
	if (typeof a === 'number' || typeof b === 'number') {
		const x = numeric(a);
		const y = numeric(b);
		return x !== null && y !== null && x === y;
	}
	// A string against a boolean: "true" is not true.
	return false;
}

/** -1, 0, 1, or undefined when the two values are not ordered. */
export function order(a: Value, b: Value): -1 | 0 | 1 | undefined {
	if (a === null || b === null) return undefined;
	if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
	const x = numeric(a);
	const y = numeric(b);
	if (x === null || y === null) return undefined;
	return x < y ? -1 : x > y ? 1 : 0;
}

export function add(a: Value, b: Value): Value {
	if (a === null || b === null) return null;
	if (typeof a === 'string' || typeof b === 'string') return text(a) + text(b);
	return arithmetic('+', a, b);
}

export function arithmetic(op: '+' | '-' | '*' | '/' | '%' | '^', a: Value, b: Value): Value {
	const x = numeric(a);
	const y = numeric(b);
	if (x === null || y === null) return null;
	switch (op) {
		case '+':
			return finite(x + y);
		case '-':
			return finite(x - y);
		case '*':
			return finite(x * y);
		case '/':
			return finite(x / y);
		case '%':
			return finite(x % y);
		case '^':
			return finite(x ** y);
	}
}

export function negate(a: Value): Value {
	const x = numeric(a);
	return x === null ? null : finite(-x);
}

export function plus(a: Value): Value {
	return numeric(a);
}

/** The string operators: starts with, ends with, contains. null on either side never matches. */
export function textTest(op: 'starts' | 'ends' | 'contains', a: Value, b: Value): boolean {
	if (a === null || b === null) return false;
	const x = text(a);
	const y = text(b);
	return op === 'starts' ? x.startsWith(y) : op === 'ends' ? x.endsWith(y) : x.includes(y);
}
