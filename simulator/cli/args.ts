/* Argument helpers shared by the updraft commands. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import JSON5 from 'json5';

/** A mistake in the command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UsageError';
	}
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
	try {
		return parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values;
	} catch (error) {
		throw new UsageError((error as Error).message);
	}
}

export function required(values: Record<string, unknown>, ...names: string[]): void {
	const missing = names.filter((n) => values[n] === undefined || values[n] === '');
	if (missing.length) throw new UsageError(`missing ${missing.map((n) => `--${n}`).join(', ')}`);
}

export function integer(value: string | undefined, name: string, min = 0): number | undefined {
	if (value === undefined) return undefined;
	const n = Number(value);
	if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}: "${value}"`);
	return n;
}

/**
 * `--prop key=value` pairs. Values that read as a JSON5 number, boolean or null keep that type
 * (so a policy can say `memory >= 256`); anything else is a string.
 */
export function props(pairs: string[] | undefined): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const pair of pairs ?? []) {
		const eq = pair.indexOf('=');
		if (eq <= 0) throw new UsageError(`--prop takes key=value: "${pair}"`);
		const key = pair.slice(0, eq);
		const text = pair.slice(eq + 1);
		let value: unknown = text;
		try {
			const parsed: unknown = JSON5.parse(text);
			if (parsed === null || typeof parsed === 'number' || typeof parsed === 'boolean') value = parsed;
		} catch {
			// a plain string
		}
		out[key] = value;
	}
	return out;
}
