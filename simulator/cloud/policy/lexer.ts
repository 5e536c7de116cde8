/*
 * Tokens of a distribution policy. One pass, no backtracking, no regular expressions over the
 * policy text, so a hostile policy costs linear time before it is refused.
 *
 * Two places need context:
 * - `/` starts a regular expression where an operand is expected and divides elsewhere, as in
 *   JavaScript.
 * - A hyphen between two letters joins one name (`try-beta-features`), because device
 *   properties are often named that way; to subtract one name from another, put spaces around
 *   the minus (`patch - minor`). A hyphen before a digit (`major-1`) is always a minus.
 */
import { PolicyError } from './errors';

export type Operator =
	| '||' | '&&'
	| '==' | '!=' | '^=' | '^!=' | '$=' | '$!=' | '><' | '<>' | '=~'
	| '<' | '<=' | '>' | '>='
	| '+' | '-' | '*' | '/' | '%' | '^' | '!';

export type Token =
	| { kind: 'number'; value: number; at: number }
	| { kind: 'string'; value: string; at: number }
	| { kind: 'literal'; value: boolean | null; at: number }
	| { kind: 'regex'; source: string; flags: string; at: number }
	| { kind: 'name'; name: string; at: number }
	| { kind: 'operator'; op: Operator; at: number }
	| { kind: '(' | ')' | ','; at: number }
	| { kind: 'end'; at: number };

/** Operators, longest first so that `^!=` wins over `^` and `<>` over `<`. */
const OPERATORS: readonly Operator[] = [
	'^!=', '$!=',
	'||', '&&', '==', '!=', '^=', '$=', '><', '<>', '=~', '<=', '>=',
	'<', '>', '+', '-', '*', '/', '%', '^', '!',
];

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\', "'": "'", '"': '"', '/': '/' };

function isDigit(c: string): boolean {
	return c >= '0' && c <= '9';
}

function isNameStart(c: string): boolean {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isNameChar(c: string): boolean {
	return isNameStart(c) || isDigit(c);
}

/** Whether the token just read can end an operand, so that a following `/` divides. */
function endsOperand(token: Token | undefined): boolean {
	if (!token) return false;
	return token.kind === 'number' || token.kind === 'string' || token.kind === 'literal' || token.kind === 'regex' ||
		token.kind === 'name' || token.kind === ')';
}

export function tokenize(text: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	const n = text.length;
	while (i < n) {
		const c = text[i]!;
		if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
			i++;
			continue;
		}
		const at = i;
		if (isDigit(c)) {
			i = readNumber(text, i, tokens);
			continue;
		}
		if (c === '"' || c === "'") {
			i = readString(text, i, tokens);
			continue;
		}
		if (isNameStart(c)) {
			let end = i + 1;
			while (end < n) {
				if (isNameChar(text[end]!)) end++;
				else if (text[end] === '-' && end + 1 < n && isNameStart(text[end + 1]!)) end += 2;
				else break;
			}
			const name = text.slice(i, end);
			if (name === 'true' || name === 'false') tokens.push({ kind: 'literal', value: name === 'true', at });
			else if (name === 'null') tokens.push({ kind: 'literal', value: null, at });
			else tokens.push({ kind: 'name', name, at });
			i = end;
			continue;
		}
		if (c === '(' || c === ')' || c === ',') {
			tokens.push({ kind: c, at });
			i++;
			continue;
		}
		if (c === '/' && !endsOperand(tokens[tokens.length - 1])) {
			i = readRegex(text, i, tokens);
			continue;
		}
		const op = OPERATORS.find((candidate) => text.startsWith(candidate, i));
		if (op) {
			tokens.push({ kind: 'operator', op, at });
			i += op.length;
			continue;
		}
		if (c === '=') throw new PolicyError('"=" is not an operator (compare with ==)', at);
		if (c === '&' || c === '|') throw new PolicyError(`"${c}" is not an operator (did you mean ${c}${c}?)`, at);
		throw new PolicyError(`unexpected character ${JSON.stringify(c)}`, at);
	}
	tokens.push({ kind: 'end', at: n });
	return tokens;
}

function readNumber(text: string, start: number, tokens: Token[]): number {
	let i = start;
	const n = text.length;
	while (i < n && isDigit(text[i]!)) i++;
	if (text[i] === '.' && i + 1 < n && isDigit(text[i + 1]!)) {
		i++;
		while (i < n && isDigit(text[i]!)) i++;
	}
	if (text[i] === 'e' || text[i] === 'E') {
		let j = i + 1;
		if (text[j] === '+' || text[j] === '-') j++;
		if (j < n && isDigit(text[j]!)) {
			while (j < n && isDigit(text[j]!)) j++;
			i = j;
		}
	}
	if (i < n && (isNameChar(text[i]!) || text[i] === '.')) {
		throw new PolicyError(`malformed number ${JSON.stringify(text.slice(start, i + 1))}`, start);
	}
	const value = Number(text.slice(start, i));
	if (!Number.isFinite(value)) throw new PolicyError('number is too large', start);
	tokens.push({ kind: 'number', value, at: start });
	return i;
}

function readString(text: string, start: number, tokens: Token[]): number {
	const quote = text[start]!;
	let value = '';
	let i = start + 1;
	const n = text.length;
	while (i < n) {
		const c = text[i]!;
		if (c === quote) {
			tokens.push({ kind: 'string', value, at: start });
			return i + 1;
		}
		if (c === '\n' || c === '\r') break;
		if (c === '\\') {
			const next = text[i + 1];
			if (next === undefined) break;
			if (next === 'u') {
				const hex = text.slice(i + 2, i + 6);
				if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PolicyError('\\u must be followed by 4 hex digits', i);
				value += String.fromCharCode(parseInt(hex, 16));
				i += 6;
				continue;
			}
			const escaped = Object.hasOwn(ESCAPES, next) ? ESCAPES[next] : undefined;
			if (escaped === undefined) throw new PolicyError(`unknown escape \\${next} in a string`, i);
			value += escaped;
			i += 2;
			continue;
		}
		value += c;
		i++;
	}
	throw new PolicyError('string is not closed', start);
}

function readRegex(text: string, start: number, tokens: Token[]): number {
	let i = start + 1;
	let inClass = false;
	const n = text.length;
	while (i < n) {
		const c = text[i]!;
		if (c === '\n' || c === '\r') break;
		if (c === '\\') {
			i += 2;
			continue;
		}
		if (c === '[') inClass = true;
		else if (c === ']') inClass = false;
		else if (c === '/' && !inClass) {
			const source = text.slice(start + 1, i);
			let end = i + 1;
			while (end < n && isNameChar(text[end]!)) end++;
			tokens.push({ kind: 'regex', source, flags: text.slice(i + 1, end), at: start });
			return end;
		}
		i++;
	}
	throw new PolicyError('regular expression is not closed with /', start);
}
