/*
 * The one error of the policy language: a policy that cannot be saved, with the place where the
 * problem is. Evaluation never throws; only compiling a policy does.
 */

export class PolicyError extends Error {
	/** Offset of the problem in the policy text, 0-based (a column is this plus one). */
	readonly position: number;

	constructor(message: string, position: number) {
		super(`policy: ${message} at column ${position + 1}`);
		this.name = 'PolicyError';
		this.position = position;
	}
}
