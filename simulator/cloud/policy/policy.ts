/*
 * A distribution policy, Ioto's expression language for "which devices get this release".
 * The language is described in docs/policies.md. Compiling checks everything that can be
 * checked without a device (syntax, limits, regular expressions, literal versions) and throws a
 * PolicyError naming the column; evaluating never throws and always ends.
 */
import { parseSemver } from '../../../modules/semver';
import { PolicyError } from './errors';
import { compileNode, type PolicyScope } from './evaluator';
import { tokenize } from './lexer';
import { parse } from './parser';
import { truthy } from './values';

export { PolicyError } from './errors';
export type { PolicyScope } from './evaluator';

/** A blank policy means this: devices on an older version get the release. */
export const DEFAULT_POLICY = 'semver(version, "<", newVersion)';
export const MAX_POLICY_LENGTH = 2048;

export interface Policy {
	/** The text as saved ('' for the default policy). */
	source: string;
	/** Whether a device matches. Never throws. */
	matches(scope: PolicyScope): boolean;
}

export function compilePolicy(source: string): Policy {
	if (typeof source !== 'string') throw new PolicyError('a policy must be text', 0);
	if (source.length > MAX_POLICY_LENGTH) {
		throw new PolicyError(`the policy is ${source.length} characters long; the limit is ${MAX_POLICY_LENGTH}`, MAX_POLICY_LENGTH);
	}
	const text = source.trim() === '' ? DEFAULT_POLICY : source;
	const compiled = compileNode(parse(tokenize(text)));
	return {
		source,
		matches(scope) {
			try {
				return truthy(compiled(scope));
			} catch {
				// Unreachable by construction (values.ts is total); a policy that cannot be decided
				// does not offer the release.
				return false;
			}
		},
	};
}

/** The scope for one device (its check-in body) against one release version. */
export function policyScope(properties: Readonly<Record<string, unknown>>, version: string, newVersion: string): PolicyScope {
	const parsed = parseSemver(version);
	return {
		properties,
		version,
		versionParsed: parsed,
		major: parsed ? parsed.major : null,
		minor: parsed ? parsed.minor : null,
		patch: parsed ? parsed.patch : null,
		newVersion,
		newVersionParsed: parseSemver(newVersion),
	};
}
