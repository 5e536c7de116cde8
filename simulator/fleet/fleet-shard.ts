/*
 * A share of a fleet's devices and the means to run them: every `shards`-th device of the
 * population, starting at `shard`, built in memory with its factory firmware, one TLS session
 * cache and the flaky networks of the devices given faults. The fleet run (fleet-run.ts) decides
 * which devices check in when and asks each shard to run them, in this process or in a child
 * process of its own (shard-process.ts), so that the devices of a large fleet can use more than
 * one core.
 */
import type { NetworkPort } from '../../modules/ports';
import { seededRandom } from '../../modules/random';
import { createTlsSessionCache, type TlsSessionCache } from '../../hosts/sim/tls-sessions';
import { DEFAULT_SECTOR_SIZE, type FlashLayout } from '../../hosts/sim/flash/layout';
import { makeImage } from '../image';
import { MemoryDevice, type DeviceRun, type DeviceWorld } from './memory-device';
import { generatePopulation, type DeviceProfile } from './population';
import { flakyNetwork, type FlakyCounts } from './flaky-network';
import { aliasHosts } from './host-alias';

/** A share of the devices with a network that refuses or cuts some of its connections. */
export interface FaultMix {
	/** Share (0-1) of the devices with a flaky network. */
	share: number;
	/** Per connection of such a device: chance it is refused, chance it is cut. */
	refuse: number;
	cut: number;
}

export interface ShardOptions {
	/** The cloud as the devices see it. */
	cloud: { url: string; caPem: string; fleetToken: string };
	devices: number;
	seed: string;
	product: string;
	from: readonly { version: string; weight: number }[];
	imageSize: number;
	faults?: FaultMix;
	idleScale: number;
	/** Devices of this shard working at the same time. */
	concurrency: number;
	sessions?: boolean;
	hostAliases?: Record<string, string>;
	/** This shard takes the devices whose index (from 0) modulo `shards` is `shard`. */
	shard: number;
	shards: number;
}

export interface ShardState {
	/** Devices by the version they run now. */
	versions: Record<string, number>;
	/** Update reports the devices still hold. */
	undelivered: number;
	tls: { full: number; resumed: number };
	faults: { devices: number } & FlakyCounts;
	/** Cycles that threw instead of settling. */
	errors: number;
	errorSamples: string[];
}

/** Told of each device's cycle as it ends: its run, or null when the cycle threw. */
export type RunListener = (id: string, run: DeviceRun | null) => void;

export interface Shard {
	/** Run one cycle of each device in `ids` (all of this shard's), at device time `deviceTime`. */
	wave(ids: readonly string[], deviceTime: number, onRun: RunListener): Promise<void>;
	/** Start no more cycles in the running wave. */
	stop(): void;
	state(): Promise<ShardState>;
	/** Free the shard; resolves with the CPU time of its process when it had one of its own. */
	close(): Promise<{ cpuMs?: number }>;
}

/** The profiles of the whole fleet, the same in every shard and in the run that leads them. */
export function fleetProfiles(options: Pick<ShardOptions, 'devices' | 'seed' | 'from'>): DeviceProfile[] {
	return generatePopulation({ devices: options.devices, seed: options.seed, versions: options.from });
}

interface Member {
	device: MemoryDevice;
	flaky: (() => number) | undefined;
}

export class FleetShard implements Shard {
	readonly #options: ShardOptions;
	readonly #members = new Map<string, Member>();
	readonly #sessions: TlsSessionCache | undefined;
	readonly #faultCounts: FlakyCounts = { refused: 0, cut: 0 };
	readonly #world: DeviceWorld;
	#errors = 0;
	readonly #errorSamples: string[] = [];
	#stopped = false;

	constructor(options: ShardOptions) {
		if (!Number.isSafeInteger(options.shards) || options.shards < 1 || !Number.isSafeInteger(options.shard) || options.shard < 0 || options.shard >= options.shards) {
			throw new RangeError(`shard ${options.shard} of ${options.shards} does not exist`);
		}
		this.#options = options;
		const slotSize = Math.ceil((options.imageSize + DEFAULT_SECTOR_SIZE) / DEFAULT_SECTOR_SIZE) * DEFAULT_SECTOR_SIZE;
		const layout: FlashLayout = { sectorSize: DEFAULT_SECTOR_SIZE, slotSize };
		const images = new Map<string, Uint8Array>();
		// Drawn for every device of the fleet, so each device's fate is the same whatever the sharding.
		const faultRandom = seededRandom(`faults:${options.seed}`);
		const now = Date.now();
		for (const [index, profile] of fleetProfiles(options).entries()) {
			const faulty = options.faults !== undefined && faultRandom() < options.faults.share;
			if (index % options.shards !== options.shard) continue;
			let image = images.get(profile.version);
			if (!image) {
				image = makeImage({ product: options.product, version: profile.version }, options.imageSize);
				images.set(profile.version, image);
			}
			this.#members.set(profile.id, {
				device: new MemoryDevice({ id: profile.id, product: options.product, properties: profile.properties }, layout, image, profile.version, now),
				flaky: faulty ? seededRandom(`network:${options.seed}:${profile.id}`) : undefined,
			});
		}
		this.#sessions = options.sessions === false ? undefined : createTlsSessionCache();
		const aliases = options.hostAliases ?? { localhost: '127.0.0.1' };
		const faults = options.faults;
		this.#world = {
			api: options.cloud.url,
			token: options.cloud.fleetToken,
			caPem: options.cloud.caPem,
			sessions: this.#sessions,
			update: { signatures: 'optional' },
			idleScale: options.idleScale,
			network: (tls, device) => {
				let network: NetworkPort = aliasHosts(tls, aliases);
				const random = this.#members.get(device.id)?.flaky;
				if (random && faults) network = flakyNetwork(network, { refuse: faults.refuse, cut: faults.cut, random }, this.#faultCounts);
				return network;
			},
		};
	}

	async wave(ids: readonly string[], deviceTime: number, onRun: RunListener): Promise<void> {
		this.#stopped = false;
		const group = ids.map((id) => {
			const member = this.#members.get(id);
			if (!member) throw new RangeError(`device ${id} is not in shard ${this.#options.shard}`);
			return member;
		});
		let next = 0;
		const worker = async () => {
			while (next < group.length && !this.#stopped) {
				const { device } = group[next++]!;
				device.sleepUntil(deviceTime);
				let run: DeviceRun | null = null;
				try {
					run = await device.cycle(this.#world);
				} catch (error) {
					this.#errors++;
					if (this.#errorSamples.length < 5) this.#errorSamples.push(`${device.id}: ${(error as Error).stack ?? String(error)}`);
				}
				onRun(device.id, run);
			}
		};
		await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, group.length) }, worker));
	}

	stop(): void {
		this.#stopped = true;
	}

	async state(): Promise<ShardState> {
		const versions: Record<string, number> = {};
		let undelivered = 0;
		let faulty = 0;
		for (const { device, flaky } of this.#members.values()) {
			versions[device.version] = (versions[device.version] ?? 0) + 1;
			undelivered += device.pendingReports;
			if (flaky) faulty++;
		}
		return {
			versions,
			undelivered,
			tls: { full: this.#sessions?.full ?? 0, resumed: this.#sessions?.resumed ?? 0 },
			faults: { devices: faulty, ...this.#faultCounts },
			errors: this.#errors,
			errorSamples: [...this.#errorSamples],
		};
	}

	async close(): Promise<{ cpuMs?: number }> {
		this.#stopped = true;
		return {};
	}
}
