/*
 * Recursive descent over the tokens, lowest precedence first:
 *
 *   ||   &&   == != ^= ^!= $= $!= >< <> =~   < <= > >=   + -   * / %   unary ! - +   ^   primary
 *
 * `^` (power) binds tighter than a unary minus and groups to the right, so -2^2 is -4 and
 * 2^3^2 is 512. `=~` must be followed by a regular expression literal, which is compiled here,
 * once, like everything else that can be checked before a device ever checks in.
 *
 * Limits that keep compiling and evaluating cheap whatever the text: at most MAX_TERMS terms
 * (literals, names, regular expressions and function calls) and at most MAX_DEPTH levels of
 * nesting (parentheses, unary operators, function arguments).
 */
import { isSemverOperator, parseSemver } from '../../../modules/semver';
import type { BinaryOperator, Node } from './ast';
import { PolicyError } from './errors';
import type { Operator, Token } from './lexer';
import { compileRegex } from './regex';

export const MAX_TERMS = 50;
export const MAX_DEPTH = 32;

const EQUALITY: readonly Operator[] = ['==', '!=', '^=', '^!=', '$=', '$!=', '><', '<>'];
const RELATIONAL: readonly Operator[] = ['<', '<=', '>', '>='];
const ADDITIVE: readonly Operator[] = ['+', '-'];
const MULTIPLICATIVE: readonly Operator[] = ['*', '/', '%'];

/** The functions a policy may call, with their number of arguments. */
const FUNCTIONS: Record<string, number> = { semver: 3 };

export function parse(tokens: Token[]): Node {
	return new Parser(tokens).parseAll();
}

class Parser {
	readonly #tokens: Token[];
	#index = 0;
	#terms = 0;
	#depth = 0;

	constructor(tokens: Token[]) {
		this.#tokens = tokens;
	}

	parseAll(): Node {
		const node = this.#or();
		const next = this.#peek();
		if (next.kind !== 'end') throw new PolicyError(`unexpected ${describeToken(next)} (expected an operator or the end)`, next.at);
		return node;
	}

	#peek(): Token {
		return this.#tokens[this.#index]!;
	}

	#next(): Token {
		const token = this.#tokens[this.#index]!;
		if (token.kind !== 'end') this.#index++;
		return token;
	}

	/** The operator at the cursor when it is one of `ops`. */
	#operator(ops: readonly Operator[]): Operator | undefined {
		const token = this.#peek();
		return token.kind === 'operator' && ops.includes(token.op) ? token.op : undefined;
	}

	#term(at: number): void {
		if (++this.#terms > MAX_TERMS) throw new PolicyError(`more than ${MAX_TERMS} terms`, at);
	}

	#enter(at: number): void {
		if (++this.#depth > MAX_DEPTH) throw new PolicyError(`nested more than ${MAX_DEPTH} levels deep`, at);
	}

	#binaryLevel(ops: readonly Operator[], operand: () => Node): Node {
		let left = operand();
		for (let op = this.#operator(ops); op; op = this.#operator(ops)) {
			const at = this.#next().at;
			const right = operand();
			left = { kind: 'binary', op: op as BinaryOperator, left, right, at };
		}
		return left;
	}

	#or(): Node {
		return this.#binaryLevel(['||'], () => this.#and());
	}

	#and(): Node {
		return this.#binaryLevel(['&&'], () => this.#equality());
	}

	#equality(): Node {
		let left = this.#relational();
		for (;;) {
			const token = this.#peek();
			if (token.kind !== 'operator') return left;
			if (token.op === '=~') {
				this.#next();
				const pattern = this.#next();
				if (pattern.kind !== 'regex') {
					throw new PolicyError(`=~ must be followed by a regular expression such as /^esp32/ (got ${describeToken(pattern)})`, pattern.at);
				}
				this.#term(pattern.at);
				left = { kind: 'match', subject: left, regex: compileRegex(pattern.source, pattern.flags, pattern.at), at: token.at };
				continue;
			}
			if (!EQUALITY.includes(token.op)) return left;
			this.#next();
			const right = this.#relational();
			left = { kind: 'binary', op: token.op as BinaryOperator, left, right, at: token.at };
		}
	}

	#relational(): Node {
		return this.#binaryLevel(RELATIONAL, () => this.#additive());
	}

	#additive(): Node {
		return this.#binaryLevel(ADDITIVE, () => this.#multiplicative());
	}

	#multiplicative(): Node {
		return this.#binaryLevel(MULTIPLICATIVE, () => this.#unary());
	}

	#unary(): Node {
		const op = this.#operator(['!', '-', '+']);
		if (!op) return this.#power();
		const at = this.#next().at;
		this.#enter(at);
		const operand = this.#unary();
		this.#depth--;
		return { kind: 'unary', op: op as '!' | '-' | '+', operand, at };
	}

	#power(): Node {
		const base = this.#primary();
		if (!this.#operator(['^'])) return base;
		const at = this.#next().at;
		this.#enter(at);
		// Right-associative, and the exponent may carry its own sign: 2^-1.
		const exponent = this.#unary();
		this.#depth--;
		return { kind: 'binary', op: '^', left: base, right: exponent, at };
	}

	#primary(): Node {
		const token = this.#next();
		switch (token.kind) {
			case 'number':
			case 'string':
			case 'literal':
				this.#term(token.at);
				return { kind: 'literal', value: token.value, at: token.at };
			case 'name':
				this.#term(token.at);
				if (this.#peek().kind === '(') return this.#call(token.name, token.at);
				return { kind: 'name', name: token.name, at: token.at };
			case '(': {
				this.#enter(token.at);
				const inner = this.#or();
				this.#depth--;
				const close = this.#next();
				if (close.kind !== ')') throw new PolicyError(`expected ) to close the ( at column ${token.at + 1} (got ${describeToken(close)})`, close.at);
				return inner;
			}
			case 'regex':
				throw new PolicyError('a regular expression may only follow =~', token.at);
			default:
				throw new PolicyError(`unexpected ${describeToken(token)} (expected a value, a name or "(")`, token.at);
		}
	}

	#call(name: string, at: number): Node {
		const arity = Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
		if (arity === undefined) throw new PolicyError(`unknown function ${name}() (the only function is semver)`, at);
		this.#next();
		this.#enter(at);
		const args: Node[] = [];
		if (this.#peek().kind !== ')') {
			for (;;) {
				args.push(this.#or());
				const separator = this.#next();
				if (separator.kind === ')') break;
				if (separator.kind !== ',') throw new PolicyError(`expected , or ) in the arguments of ${name}() (got ${describeToken(separator)})`, separator.at);
			}
		} else {
			this.#next();
		}
		this.#depth--;
		if (args.length !== arity) throw new PolicyError(`${name}() takes ${arity} arguments (got ${args.length})`, at);
		checkSemverArguments(args);
		return { kind: 'call', name: 'semver', args, at };
	}
}

/** Literal arguments of semver() are checked now rather than found wrong on every check-in. */
function checkSemverArguments(args: Node[]): void {
	const [a, op, b] = args as [Node, Node, Node];
	if (op.kind === 'literal' && !isSemverOperator(op.value)) {
		throw new PolicyError(`the operator of semver() must be one of "<", "<=", ">", ">=", "==", "!=" (got ${JSON.stringify(op.value)})`, op.at);
	}
	for (const version of [a, b]) {
		if (version.kind === 'literal' && (typeof version.value !== 'string' || !parseSemver(version.value))) {
			throw new PolicyError(`semver() compares SemVer 2.0 versions such as "1.2.3" (got ${JSON.stringify(version.value)})`, version.at);
		}
	}
}

function describeToken(token: Token): string {
	switch (token.kind) {
		case 'end':
			return 'end of the policy';
		case 'number':
			return `number ${token.value}`;
		case 'string':
			return `string ${JSON.stringify(token.value.length > 40 ? `${token.value.slice(0, 40)}…` : token.value)}`;
		case 'literal':
			return String(token.value);
		case 'regex':
			return 'a regular expression';
		case 'name':
			return `name ${token.name}`;
		case 'operator':
			return `"${token.op}"`;
		default:
			return `"${token.kind}"`;
	}
}
