/*
 * Regular expressions for `=~`, matched in time linear in the subject.
 *
 * A policy is written by an operator, but the strings it is matched against come from devices;
 * JavaScript's backtracking RegExp would let one device with a crafted property stall the cloud
 * on a pattern such as /(a+)+$/. So patterns are parsed here and compiled to a small program
 * that regex-vm.ts runs as a Thompson NFA (Pike VM): every step advances all alternatives at
 * once, so a match costs at most (program size) x (subject length) steps.
 *
 * Supported: the JavaScript syntax without back-references and lookaround, that is literals,
 * `.`, classes `[a-z]` `[^...]`, escapes `\d \D \w \W \s \S \b \B \n \r \t \v \f \0 \xHH \uHHHH`
 * and escaped punctuation, groups `( )` `(?: )` `(?<name> )`, alternation `|`, anchors `^ $`,
 * quantifiers `* + ? {n} {n,} {n,m}` (a trailing `?` for laziness is accepted; it changes
 * nothing when only asking whether there is a match), and the flags i, m and s.
 */
import { PolicyError } from './errors';
import { runProgram, type Instruction, type Predicate } from './regex-vm';

export interface SafeRegex {
	source: string;
	flags: string;
	/** Whether the pattern matches anywhere in `subject`. Never throws. */
	test(subject: string): boolean;
}

/** Largest compiled program; repetition counts are expanded, so {n,m} counts m times. */
export const MAX_REGEX_INSTRUCTIONS = 256;
const MAX_REPEAT = 100;
const MAX_PATTERN_LENGTH = 512;

type RegexNode =
	| { t: 'char'; test: Predicate }
	| { t: 'assert'; kind: 'start' | 'end' | 'word' | 'not-word' }
	| { t: 'seq'; items: RegexNode[] }
	| { t: 'alt'; options: RegexNode[] }
	| { t: 'repeat'; node: RegexNode; min: number; max: number };

interface Flags {
	ignoreCase: boolean;
	multiline: boolean;
	dotAll: boolean;
}

/** Compile `/source/flags`; `at` is the offset of the opening slash in the policy, for errors. */
export function compileRegex(source: string, flags: string, at: number): SafeRegex {
	const parsedFlags: Flags = { ignoreCase: false, multiline: false, dotAll: false };
	for (const flag of flags) {
		const key = flag === 'i' ? 'ignoreCase' : flag === 'm' ? 'multiline' : flag === 's' ? 'dotAll' : undefined;
		if (!key) throw new PolicyError(`regular expression flag "${flag}" is not supported (only i, m and s)`, at);
		if (parsedFlags[key]) throw new PolicyError(`regular expression flag "${flag}" is given twice`, at);
		parsedFlags[key] = true;
	}
	if (source.length > MAX_PATTERN_LENGTH) throw new PolicyError(`regular expression is longer than ${MAX_PATTERN_LENGTH} characters`, at);
	const node = new RegexParser(source, parsedFlags, at + 1).parse();
	const program = new Compiler(at).compile(node);
	const { multiline } = parsedFlags;
	return {
		source,
		flags,
		test: (subject: string) => runProgram(program, subject, multiline),
	};
}

// ---- character sets ----

const LINE_TERMINATORS = [0x0a, 0x0d, 0x2028, 0x2029];

function isWordCode(c: number): boolean {
	return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isDigitCode(c: number): boolean {
	return c >= 48 && c <= 57;
}

/** JavaScript's \s: WhiteSpace and LineTerminator. */
function isSpaceCode(c: number): boolean {
	return (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
		c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

const CLASS_ESCAPES: Record<string, Predicate> = {
	d: isDigitCode,
	D: (c) => !isDigitCode(c),
	w: isWordCode,
	W: (c) => !isWordCode(c),
	s: isSpaceCode,
	S: (c) => !isSpaceCode(c),
};

const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, f: 0x0c };

function otherCase(c: number, upper: boolean): number {
	const text = String.fromCharCode(c);
	const changed = upper ? text.toUpperCase() : text.toLowerCase();
	return changed.length === 1 ? changed.charCodeAt(0) : c;
}

/** With the i flag a set matches a character when it matches any case of it. */
function caseless(test: Predicate): Predicate {
	return (c) => test(c) || test(otherCase(c, false)) || test(otherCase(c, true));
}

// ---- parser ----

type ClassAtom = { code: number } | { set: Predicate };

class RegexParser {
	readonly #src: string;
	readonly #flags: Flags;
	/** Offset of the pattern's first character in the policy text. */
	readonly #base: number;
	#i = 0;

	constructor(source: string, flags: Flags, base: number) {
		this.#src = source;
		this.#flags = flags;
		this.#base = base;
	}

	#error(message: string, offset = this.#i): PolicyError {
		return new PolicyError(`regular expression: ${message}`, this.#base + offset);
	}

	parse(): RegexNode {
		const node = this.#alternation();
		if (this.#i < this.#src.length) throw this.#error('unmatched )');
		return node;
	}

	#alternation(): RegexNode {
		const options = [this.#sequence()];
		while (this.#src[this.#i] === '|') {
			this.#i++;
			options.push(this.#sequence());
		}
		return options.length === 1 ? options[0]! : { t: 'alt', options };
	}

	#sequence(): RegexNode {
		const items: RegexNode[] = [];
		while (this.#i < this.#src.length && this.#src[this.#i] !== '|' && this.#src[this.#i] !== ')') {
			items.push(this.#quantified());
		}
		return items.length === 1 ? items[0]! : { t: 'seq', items };
	}

	#quantified(): RegexNode {
		const start = this.#i;
		const atom = this.#atom();
		const bounds = this.#quantifier();
		if (!bounds) return atom;
		if (atom.t === 'assert') throw this.#error('nothing to repeat', start);
		if (this.#src[this.#i] === '?') this.#i++;
		const next = this.#src[this.#i];
		if (next === '*' || next === '+' || next === '?' || next === '{') throw this.#error('nothing to repeat');
		return { t: 'repeat', node: atom, min: bounds.min, max: bounds.max };
	}

	#quantifier(): { min: number; max: number } | undefined {
		const c = this.#src[this.#i];
		if (c === '*') return this.#i++, { min: 0, max: Infinity };
		if (c === '+') return this.#i++, { min: 1, max: Infinity };
		if (c === '?') return this.#i++, { min: 0, max: 1 };
		if (c !== '{') return undefined;
		const match = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(this.#src.slice(this.#i, this.#i + 16));
		if (!match) throw this.#error('"{" must start a repetition such as {2,5} (write \\{ for the character)');
		const min = Number(match[1]);
		const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
		if (max < min) throw this.#error('repetition {n,m} has m smaller than n');
		if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw this.#error(`repetition counts above ${MAX_REPEAT} are not supported`);
		this.#i += match[0].length;
		return { min, max };
	}

	#atom(): RegexNode {
		const c = this.#src[this.#i]!;
		const start = this.#i;
		switch (c) {
			case '(':
				return this.#group();
			case '[':
				return { t: 'char', test: this.#characterClass() };
			case '.': {
				this.#i++;
				const dotAll = this.#flags.dotAll;
				return { t: 'char', test: (code) => dotAll || !LINE_TERMINATORS.includes(code) };
			}
			case '^':
				this.#i++;
				return { t: 'assert', kind: 'start' };
			case '$':
				this.#i++;
				return { t: 'assert', kind: 'end' };
			case '\\':
				return this.#atomEscape();
			case '*':
			case '+':
			case '?':
				throw this.#error('nothing to repeat', start);
			case '{':
				throw this.#error('"{" must follow something to repeat (write \\{ for the character)', start);
			default:
				this.#i++;
				return this.#literal(c.charCodeAt(0));
		}
	}

	#literal(code: number): RegexNode {
		const test: Predicate = (c) => c === code;
		return { t: 'char', test: this.#flags.ignoreCase ? caseless(test) : test };
	}

	#group(): RegexNode {
		const start = this.#i;
		this.#i++;
		if (this.#src[this.#i] === '?') {
			const rest = this.#src.slice(this.#i, this.#i + 3);
			if (rest.startsWith('?:')) {
				this.#i += 2;
			} else if (rest.startsWith('?=') || rest.startsWith('?!') || rest === '?<=' || rest === '?<!') {
				throw this.#error('lookahead and lookbehind are not supported', start);
			} else if (rest.startsWith('?<')) {
				const close = this.#src.indexOf('>', this.#i);
				const name = close < 0 ? '' : this.#src.slice(this.#i + 2, close);
				if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw this.#error('a group name must be an identifier, as in (?<name>...)', start);
				this.#i = close + 1;
			} else {
				throw this.#error('unknown group: after "(?" comes ":" or "<name>"', start);
			}
		}
		const inner = this.#alternation();
		if (this.#src[this.#i] !== ')') throw this.#error('group is not closed with )', start);
		this.#i++;
		// A group may be repeated even when it holds only an assertion: (^)* is valid.
		return inner.t === 'assert' ? { t: 'seq', items: [inner] } : inner;
	}

	#atomEscape(): RegexNode {
		const start = this.#i;
		const c = this.#src[this.#i + 1];
		if (c === undefined) throw this.#error('\\ at the end of the pattern', start);
		if (c === 'b' || c === 'B') {
			this.#i += 2;
			return { t: 'assert', kind: c === 'b' ? 'word' : 'not-word' };
		}
		const atom = this.#escape();
		if ('set' in atom) return { t: 'char', test: this.#flags.ignoreCase ? caseless(atom.set) : atom.set };
		return this.#literal(atom.code);
	}

	/** An escape inside or outside a class; the cursor is on the backslash. */
	#escape(): ClassAtom {
		const start = this.#i;
		const c = this.#src[this.#i + 1];
		if (c === undefined) throw this.#error('\\ at the end of the pattern', start);
		this.#i += 2;
		if (Object.hasOwn(CLASS_ESCAPES, c)) return { set: CLASS_ESCAPES[c]! };
		if (Object.hasOwn(CONTROL_ESCAPES, c)) return { code: CONTROL_ESCAPES[c]! };
		if (c === '0') {
			if (isDigitCode(this.#src.charCodeAt(this.#i))) throw this.#error('octal escapes are not supported', start);
			return { code: 0 };
		}
		if (c === 'x' || c === 'u') {
			const length = c === 'x' ? 2 : 4;
			const hex = this.#src.slice(this.#i, this.#i + length);
			if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) throw this.#error(`\\${c} must be followed by ${length} hex digits`, start);
			this.#i += length;
			return { code: parseInt(hex, 16) };
		}
		if (c >= '1' && c <= '9') throw this.#error('back-references are not supported', start);
		if (/[A-Za-z0-9]/.test(c)) throw this.#error(`unknown escape \\${c}`, start);
		return { code: c.charCodeAt(0) };
	}

	#characterClass(): Predicate {
		const start = this.#i;
		this.#i++;
		let negate = false;
		if (this.#src[this.#i] === '^') {
			negate = true;
			this.#i++;
		}
		const ranges: number[] = [];
		const sets: Predicate[] = [];
		for (;;) {
			if (this.#i >= this.#src.length) throw this.#error('character class is not closed with ]', start);
			if (this.#src[this.#i] === ']') {
				this.#i++;
				break;
			}
			const low = this.#classAtom();
			if (this.#src[this.#i] === '-' && this.#i + 1 < this.#src.length && this.#src[this.#i + 1] !== ']') {
				const dash = this.#i;
				this.#i++;
				const high = this.#classAtom();
				if ('set' in low || 'set' in high) throw this.#error('a range cannot start or end with \\d, \\w or \\s', dash);
				if (low.code > high.code) throw this.#error('range out of order in character class', dash);
				ranges.push(low.code, high.code);
				continue;
			}
			if ('set' in low) sets.push(low.set);
			else ranges.push(low.code, low.code);
		}
		const member: Predicate = (c) => {
			for (let k = 0; k < ranges.length; k += 2) if (c >= ranges[k]! && c <= ranges[k + 1]!) return true;
			for (const set of sets) if (set(c)) return true;
			return false;
		};
		// Case folding applies to the members; negation comes after, as in JavaScript.
		const folded = this.#flags.ignoreCase ? caseless(member) : member;
		return negate ? (c) => !folded(c) : folded;
	}

	#classAtom(): ClassAtom {
		const c = this.#src[this.#i]!;
		if (c !== '\\') {
			this.#i++;
			return { code: c.charCodeAt(0) };
		}
		const next = this.#src[this.#i + 1];
		if (next === 'b') {
			this.#i += 2;
			return { code: 8 };
		}
		if (next === '-') {
			this.#i += 2;
			return { code: 45 };
		}
		if (next === 'B') throw this.#error('\\B is not allowed in a character class');
		return this.#escape();
	}
}

// ---- compiler ----

class Compiler {
	readonly #program: Instruction[] = [];
	readonly #at: number;

	constructor(at: number) {
		this.#at = at;
	}

	compile(node: RegexNode): Instruction[] {
		this.#emit(node);
		this.#push({ op: 'match' });
		return this.#program;
	}

	#push(instruction: Instruction): number {
		if (this.#program.length >= MAX_REGEX_INSTRUCTIONS) {
			throw new PolicyError(`regular expression is too complex (more than ${MAX_REGEX_INSTRUCTIONS} steps once repetitions are expanded)`, this.#at);
		}
		this.#program.push(instruction);
		return this.#program.length - 1;
	}

	#emit(node: RegexNode): void {
		switch (node.t) {
			case 'char':
				this.#push({ op: 'char', test: node.test });
				return;
			case 'assert':
				this.#push({ op: 'assert', kind: node.kind });
				return;
			case 'seq':
				for (const item of node.items) this.#emit(item);
				return;
			case 'alt': {
				const jumps: number[] = [];
				node.options.forEach((option, index) => {
					if (index < node.options.length - 1) {
						const split = this.#push({ op: 'split', x: 0, y: 0 });
						(this.#program[split] as { x: number }).x = split + 1;
						this.#emit(option);
						jumps.push(this.#push({ op: 'jmp', x: 0 }));
						(this.#program[split] as { y: number }).y = this.#program.length;
					} else {
						this.#emit(option);
					}
				});
				for (const jump of jumps) (this.#program[jump] as { x: number }).x = this.#program.length;
				return;
			}
			case 'repeat': {
				for (let k = 0; k < node.min; k++) this.#emit(node.node);
				if (node.max === Infinity) {
					const split = this.#push({ op: 'split', x: 0, y: 0 });
					(this.#program[split] as { x: number }).x = split + 1;
					this.#emit(node.node);
					this.#push({ op: 'jmp', x: split });
					(this.#program[split] as { y: number }).y = this.#program.length;
					return;
				}
				const splits: number[] = [];
				for (let k = node.min; k < node.max; k++) {
					const split = this.#push({ op: 'split', x: 0, y: 0 });
					(this.#program[split] as { x: number }).x = split + 1;
					splits.push(split);
					this.#emit(node.node);
				}
				for (const split of splits) (this.#program[split] as { y: number }).y = this.#program.length;
			}
		}
	}
}
