/*
 * The fields of a release as administrators give them (Builder's Software API: product, version,
 * description, policy, enable, limit, percentage, rate, period), checked once here for the
 * create query string, the edit JSON body and the store alike.
 */
import { parseSemver } from '../../modules/semver';
import { CloudError, badRequest, describe } from './errors';
import { compilePolicy, PolicyError, type Policy } from './policy/policy';

export interface ReleaseSettings {
	description: string;
	policy: string;
	enable: boolean;
	limit: number | null;
	percentage: number | null;
	rate: number | null;
	period: number | null;
	/** An older version published on purpose (Ioto's cloud-side rollback): devices may go back to it. */
	downgrade: boolean;
}

export const DEFAULT_SETTINGS: ReleaseSettings = {
	description: '',
	policy: '',
	enable: true,
	limit: null,
	percentage: null,
	rate: null,
	period: null,
	downgrade: false,
};

const PRODUCT = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_DESCRIPTION = 4096;
/** Ten years: a longer rate period is a mistake. */
const MAX_PERIOD = 10 * 365 * 24 * 3600;

/** Throws a 400 CloudError unless `product` is a valid product name. */
export function validateProduct(product: unknown, what = 'product'): string {
	if (typeof product !== 'string' || !PRODUCT.test(product)) {
		throw badRequest(`${what} must be 1 to 64 characters among A-Z a-z 0-9 . _ - (got ${describe(product)})`);
	}
	return product;
}

/** Throws a 400 CloudError unless `version` is SemVer 2.0. */
export function validateVersion(version: unknown, what = 'version'): string {
	if (typeof version !== 'string' || !parseSemver(version)) {
		throw badRequest(`${what} must be a SemVer 2.0 version such as 1.2.3 (got ${describe(version)})`);
	}
	return version;
}

/** Compile a policy for saving; a syntax error becomes a 400 that names the column. */
export function checkPolicy(policy: unknown): Policy {
	if (typeof policy !== 'string') throw badRequest(`policy must be a string (got ${describe(policy)})`);
	try {
		return compilePolicy(policy);
	} catch (error) {
		if (error instanceof PolicyError) {
			throw new CloudError(400, 'bad-policy', error.message, {}, { position: error.position, column: error.position + 1 });
		}
		throw error;
	}
}

function wholeNumber(value: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
	if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
		throw badRequest(`${what} must be a whole number from ${min} to ${max} (got ${describe(value)})`);
	}
	return value;
}

const CHECKS: { [K in keyof ReleaseSettings]: (value: unknown) => ReleaseSettings[K] } = {
	description(value) {
		if (typeof value !== 'string') throw badRequest(`description must be a string (got ${describe(value)})`);
		if (value.length > MAX_DESCRIPTION) throw badRequest(`description is longer than ${MAX_DESCRIPTION} characters`);
		return value;
	},
	policy(value) {
		return checkPolicy(value).source;
	},
	enable(value) {
		if (typeof value !== 'boolean') throw badRequest(`enable must be true or false (got ${describe(value)})`);
		return value;
	},
	limit: (value) => (value === null ? null : wholeNumber(value, 'limit (the most devices to update)', 0)),
	percentage(value) {
		if (value === null) return null;
		if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
			throw badRequest(`percentage must be a number from 0 to 100 (got ${describe(value)})`);
		}
		return value;
	},
	rate: (value) => (value === null ? null : wholeNumber(value, 'rate (devices per period)', 1)),
	downgrade(value) {
		if (typeof value !== 'boolean') throw badRequest(`downgrade must be true or false (got ${describe(value)})`);
		return value;
	},
	period: (value) => (value === null ? null : wholeNumber(value, 'period (seconds)', 1, MAX_PERIOD)),
};

export const SETTING_NAMES = Object.keys(CHECKS) as (keyof ReleaseSettings)[];

/** Check the settings present in `input` (a JSON object); unknown names are refused. */
export function settingsFromJson(input: Record<string, unknown>, allowed: readonly string[] = SETTING_NAMES): Partial<ReleaseSettings> {
	const out: Partial<Record<keyof ReleaseSettings, unknown>> = {};
	for (const [name, value] of Object.entries(input)) {
		if (!allowed.includes(name) || !Object.hasOwn(CHECKS, name)) {
			throw badRequest(`unknown field ${JSON.stringify(name)} (allowed: ${allowed.join(', ')})`);
		}
		out[name as keyof ReleaseSettings] = CHECKS[name as keyof ReleaseSettings](value);
	}
	return out as Partial<ReleaseSettings>;
}

/**
 * Settings given as query parameters, all text: numbers are parsed, "" or "null" clears a limit,
 * enable is true or false.
 */
export function settingsFromQuery(query: URLSearchParams): Partial<ReleaseSettings> {
	const json: Record<string, unknown> = {};
	for (const name of SETTING_NAMES) {
		const values = query.getAll(name);
		if (values.length > 1) throw badRequest(`query parameter ${name} is given ${values.length} times`);
		if (values.length === 0) continue;
		const text = values[0]!;
		if (name === 'description' || name === 'policy') json[name] = text;
		else if (name === 'enable' || name === 'downgrade') json[name] = text === 'true' ? true : text === 'false' ? false : text;
		else if (text === '' || text === 'null') json[name] = null;
		else json[name] = /^-?\d{1,16}(\.\d{1,16})?$/.test(text) ? Number(text) : text;
	}
	return settingsFromJson(json);
}

/** The rules that involve several settings. */
export function checkCombination(settings: ReleaseSettings): void {
	if ((settings.rate === null) !== (settings.period === null)) {
		throw badRequest('rate and period go together: give both (rate devices per period seconds) or neither');
	}
}
