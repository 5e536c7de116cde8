/*
 * Turns a policy's syntax tree into a tree of closures, once, when the release is saved; a
 * check-in then only calls functions. No eval, no Function: the closures can do nothing but
 * what values.ts defines, and every path through them returns a value.
 */
import { isSemverOperator, parseSemver, semverSatisfies, type SemVer, type SemverOperator } from '../../../modules/semver';
import type { Node } from './ast';
import * as values from './values';
import type { Value } from './values';

/** What a policy sees of one check-in against one release. */
export interface PolicyScope {
	/** The check-in body: every property is a variable. */
	properties: Readonly<Record<string, unknown>>;
	/** The version the device runs, and its parts. */
	version: string;
	versionParsed: SemVer | null;
	major: number | null;
	minor: number | null;
	patch: number | null;
	/** The version of the release being considered. */
	newVersion: string;
	newVersionParsed: SemVer | null;
}

type Compiled = (scope: PolicyScope) => Value;
type VersionGetter = (scope: PolicyScope) => SemVer | null;

export function compileNode(node: Node): Compiled {
	switch (node.kind) {
		case 'literal': {
			const value = node.value;
			return () => value;
		}
		case 'name':
			return compileName(node.name);
		case 'unary': {
			const operand = compileNode(node.operand);
			if (node.op === '!') return (s) => !values.truthy(operand(s));
			if (node.op === '-') return (s) => values.negate(operand(s));
			return (s) => values.plus(operand(s));
		}
		case 'match': {
			const subject = compileNode(node.subject);
			const regex = node.regex;
			return (s) => {
				const value = subject(s);
				return value !== null && regex.test(values.text(value));
			};
		}
		case 'call':
			return compileSemver(node.args);
		case 'binary':
			return compileBinary(node);
	}
}

/** The names the cloud defines win over check-in properties of the same name. */
function compileName(name: string): Compiled {
	switch (name) {
		case 'version':
			return (s) => s.version;
		case 'newVersion':
			return (s) => s.newVersion;
		case 'major':
			return (s) => s.major;
		case 'minor':
			return (s) => s.minor;
		case 'patch':
			return (s) => s.patch;
		default:
			return (s) => (Object.hasOwn(s.properties, name) ? values.fromProperty(s.properties[name]) : null);
	}
}

function compileBinary(node: Extract<Node, { kind: 'binary' }>): Compiled {
	const left = compileNode(node.left);
	const right = compileNode(node.right);
	switch (node.op) {
		case '||':
			return (s) => values.truthy(left(s)) || values.truthy(right(s));
		case '&&':
			return (s) => values.truthy(left(s)) && values.truthy(right(s));
		case '==':
			return (s) => values.equal(left(s), right(s));
		case '!=':
			return (s) => !values.equal(left(s), right(s));
		case '<':
			return (s) => values.order(left(s), right(s)) === -1;
		case '<=': {
			return (s) => {
				const o = values.order(left(s), right(s));
				return o === -1 || o === 0;
			};
		}
		case '>':
			return (s) => values.order(left(s), right(s)) === 1;
		case '>=': {
			return (s) => {
				const o = values.order(left(s), right(s));
				return o === 1 || o === 0;
			};
		}
		case '^=':
			return (s) => values.textTest('starts', left(s), right(s));
		case '^!=':
			return (s) => !values.textTest('starts', left(s), right(s));
		case '$=':
			return (s) => values.textTest('ends', left(s), right(s));
		case '$!=':
			return (s) => !values.textTest('ends', left(s), right(s));
		case '><':
			return (s) => values.textTest('contains', left(s), right(s));
		case '<>':
			return (s) => !values.textTest('contains', left(s), right(s));
		case '+':
			return (s) => values.add(left(s), right(s));
		case '-':
		case '*':
		case '/':
		case '%':
		case '^': {
			const op = node.op;
			return (s) => values.arithmetic(op, left(s), right(s));
		}
	}
}

/** semver(a, op, b): false whenever an argument is not a version or op is not an operator. */
function compileSemver(args: Node[]): Compiled {
	const [a, op, b] = args as [Node, Node, Node];
	const first = versionGetter(a);
	const second = versionGetter(b);
	let operator: (s: PolicyScope) => SemverOperator | null;
	if (op.kind === 'literal') {
		const fixed = op.value as SemverOperator;
		operator = () => fixed;
	} else {
		const compiled = compileNode(op);
		operator = (s) => {
			const value = compiled(s);
			return isSemverOperator(value) ? value : null;
		};
	}
	return (s) => {
		const x = first(s);
		const y = second(s);
		const o = operator(s);
		if (x === null || y === null || o === null) return false;
		try {
			return semverSatisfies(x, o, y);
		} catch {
			return false;
		}
	};
}

/** Versions written as literals, or the built-in version names, are parsed once. */
function versionGetter(node: Node): VersionGetter {
	if (node.kind === 'literal') {
		const parsed = parseSemver(node.value);
		return () => parsed;
	}
	if (node.kind === 'name' && node.name === 'version') return (s) => s.versionParsed;
	if (node.kind === 'name' && node.name === 'newVersion') return (s) => s.newVersionParsed;
	const compiled = compileNode(node);
	return (s) => {
		const value = compiled(s);
		return typeof value === 'string' ? parseSemver(value) : null;
	};
}
