/*
 * The Pike VM that runs a compiled regular expression (regex.ts): all threads advance together
 * over the subject, one list per position, each instruction at most once per position. The
 * running time is bounded by (program length) x (subject length + 1), whatever the pattern.
 *
 * As a last guard, a match that would take more than MAX_STEPS steps is given up and counted as
 * no match; with programs of at most 256 instructions that only happens for subjects of more than
 * about 4,000 characters (check-in strings are limited to 4,096; a longer string can only be
 * built by concatenation in the policy).
 */

export type Predicate = (code: number) => boolean;

export type Instruction =
	| { op: 'char'; test: Predicate }
	| { op: 'split'; x: number; y: number }
	| { op: 'jmp'; x: number }
	| { op: 'assert'; kind: 'start' | 'end' | 'word' | 'not-word' }
	| { op: 'match' };

export const MAX_STEPS = 1_000_000;

function isWord(subject: string, index: number): boolean {
	if (index < 0 || index >= subject.length) return false;
	const c = subject.charCodeAt(index);
	return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isLineTerminator(c: number): boolean {
	return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}

function assertionHolds(kind: 'start' | 'end' | 'word' | 'not-word', subject: string, pos: number, multiline: boolean): boolean {
	switch (kind) {
		case 'start':
			return pos === 0 || (multiline && isLineTerminator(subject.charCodeAt(pos - 1)));
		case 'end':
			return pos === subject.length || (multiline && isLineTerminator(subject.charCodeAt(pos)));
		case 'word':
			return isWord(subject, pos - 1) !== isWord(subject, pos);
		case 'not-word':
			return isWord(subject, pos - 1) === isWord(subject, pos);
	}
}

/** Whether `program` matches anywhere in `subject`. */
export function runProgram(program: readonly Instruction[], subject: string, multiline: boolean): boolean {
	const size = program.length;
	const marks = new Int32Array(size).fill(-1);
	let current = new Int32Array(size);
	let next = new Int32Array(size);
	let currentLength = 0;
	let nextLength = 0;
	const stack = new Int32Array(size * 2 + 2);
	let steps = 0;
	let matched = false;
	let generation = 0;

	/** Follow jumps, splits and assertions from `start`; collect character instructions in `next`. */
	const add = (start: number, pos: number): void => {
		let top = 0;
		stack[top++] = start;
		while (top > 0) {
			const pc = stack[--top]!;
			if (marks[pc] === generation) continue;
			marks[pc] = generation;
			steps++;
			const instruction = program[pc]!;
			switch (instruction.op) {
				case 'jmp':
					stack[top++] = instruction.x;
					break;
				case 'split':
					stack[top++] = instruction.y;
					stack[top++] = instruction.x;
					break;
				case 'assert':
					if (assertionHolds(instruction.kind, subject, pos, multiline)) stack[top++] = pc + 1;
					break;
				case 'char':
					next[nextLength++] = pc;
					break;
				case 'match':
					matched = true;
					return;
			}
		}
	};

	add(0, 0);
	for (let pos = 0; ; pos++) {
		if (matched) return true;
		if (pos === subject.length || steps > MAX_STEPS) return false;
		[current, next] = [next, current];
		currentLength = nextLength;
		nextLength = 0;
		generation++;
		const code = subject.charCodeAt(pos);
		for (let k = 0; k < currentLength; k++) {
			const pc = current[k]!;
			const instruction = program[pc] as { op: 'char'; test: Predicate };
			if (instruction.test(code)) {
				add(pc + 1, pos + 1);
				if (matched) return true;
			}
		}
		// A new attempt starts at every position: the pattern may match anywhere.
		add(0, pos + 1);
	}
}
