/* The syntax tree of a policy, as the parser builds it and the evaluator compiles it. */
import type { Operator } from './lexer';
import type { SafeRegex } from './regex';

export type BinaryOperator = Exclude<Operator, '!' | '=~'>;

export type Node =
	| { kind: 'literal'; value: number | string | boolean | null; at: number }
	| { kind: 'name'; name: string; at: number }
	| { kind: 'unary'; op: '!' | '-' | '+'; operand: Node; at: number }
	| { kind: 'binary'; op: BinaryOperator; left: Node; right: Node; at: number }
	| { kind: 'match'; subject: Node; regex: SafeRegex; at: number }
	| { kind: 'call'; name: 'semver'; args: Node[]; at: number };
