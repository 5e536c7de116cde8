/*
 * Who is in a simulated fleet: device ids, the firmware each one runs from the factory, and the
 * device.json5 properties a rollout policy can match on (model, memory, region, channel,
 * hardware revision, battery power). Drawn from a seeded random source, so a seed always gives
 * the same fleet.
 */
import { seededRandom } from '../../modules/random';
import { parseSemver } from '../../modules/semver';

export interface DeviceProfile {
	id: string;
	/** The firmware version the device runs when the run starts. */
	version: string;
	/** device.json5 properties besides id and product. */
	properties: Record<string, unknown>;
}

export interface PopulationOptions {
	devices: number;
	seed: string;
	/** Versions the fleet starts on, with their shares (weights need not add up to 1). */
	versions: readonly { version: string; weight: number }[];
	/** Prefix of the device ids; default 'dev'. */
	prefix?: string;
}

/** The models of the fleet with their share and RAM (KiB) as a policy would see them. */
const MODELS: readonly { model: string; weight: number; memory: readonly number[] }[] = [
	{ model: 'esp32', weight: 40, memory: [320] },
	{ model: 'esp32-s3', weight: 30, memory: [512, 8192] },
	{ model: 'esp32-c3', weight: 20, memory: [400] },
	{ model: 'esp32-c6', weight: 10, memory: [512] },
];
const REGIONS = [{ value: 'us', weight: 45 }, { value: 'eu', weight: 35 }, { value: 'ap', weight: 20 }] as const;
const CHANNELS = [{ value: 'stable', weight: 90 }, { value: 'beta', weight: 10 }] as const;

export const MAX_DEVICES = 1_000_000;

export function generatePopulation(options: PopulationOptions): DeviceProfile[] {
	const { devices, seed } = options;
	if (!Number.isSafeInteger(devices) || devices < 1 || devices > MAX_DEVICES) {
		throw new RangeError(`a fleet has 1 to ${MAX_DEVICES} devices, not ${devices}`);
	}
	if (typeof seed !== 'string') throw new TypeError('the seed must be a string');
	const versions = checkVersions(options.versions);
	const prefix = options.prefix ?? 'dev';
	if (!/^[A-Za-z0-9._-]{1,32}$/.test(prefix)) throw new RangeError(`device id prefix must be 1-32 characters of [A-Za-z0-9._-]: "${prefix}"`);
	const random = seededRandom(`fleet:${seed}`);
	const digits = String(devices).length;
	const out: DeviceProfile[] = [];
	for (let i = 1; i <= devices; i++) {
		const model = weighted(random, MODELS);
		out.push({
			id: `${prefix}-${String(i).padStart(digits, '0')}`,
			version: weighted(random, versions).version,
			properties: {
				model: model.model,
				memory: model.memory[Math.floor(random() * model.memory.length)],
				region: weighted(random, REGIONS).value,
				channel: weighted(random, CHANNELS).value,
				hw: 1 + Math.floor(random() * 3),
				battery: random() < 0.25,
			},
		});
	}
	return out;
}

/** Parse "1.0.0,1.1.0:3" (a version, optionally :weight) into a version mix. */
export function parseVersionMix(text: string): { version: string; weight: number }[] {
	const mix = text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
		const [version, weightText] = part.split(':');
		const weight = weightText === undefined ? 1 : Number(weightText);
		return { version: version!, weight };
	});
	return checkVersions(mix);
}

function checkVersions(versions: readonly { version: string; weight: number }[]): { version: string; weight: number }[] {
	if (!Array.isArray(versions) || versions.length === 0) throw new RangeError('the fleet needs at least one starting version');
	for (const { version, weight } of versions) {
		if (!parseSemver(version)) throw new RangeError(`starting version is not SemVer 2.0: "${version}"`);
		if (!(weight > 0) || !Number.isFinite(weight)) throw new RangeError(`the weight of ${version} must be a positive number, not ${weight}`);
	}
	return [...versions];
}

function weighted<T extends { weight: number }>(random: () => number, items: readonly T[]): T {
	const total = items.reduce((sum, item) => sum + item.weight, 0);
	let pick = random() * total;
	for (const item of items) {
		pick -= item.weight;
		if (pick < 0) return item;
	}
	return items[items.length - 1]!;
}
