/*
 * A simulated device that lives in memory, for fleets of thousands in one process: its flash is
 * memory media (hosts/sim/flash/layout.ts) laid out as an ESP32's, its store a Map, its clock a
 * fleet clock, and its agent runs on the Node engine with the host's real TLS socket adapter. The
 * device object keeps flash, store and clock across restarts, as the board keeps flash and RTC.
 *
 * `cycle()` is what `updraft device run --once` does to a device folder
 * (simulator/device/run-device.ts): boot, settle what the last start left, check in once, and
 * restart (the bootloader runs each time) until the device settles.
 */
import { UpdraftAgent, type AgentConfig, type CycleResult } from '../../modules/agent';
import type { LogLevel, NetworkPort, Ports } from '../../modules/ports';
import { Reason } from '../../modules/reasons';
import { boot, BootError } from '../../hosts/sim/flash/bootloader';
import { createOtaFlash } from '../../hosts/sim/flash/ota-flash';
import { createFlashRegions, formatMemoryFlash, type FlashLayout, type FlashMedia } from '../../hosts/sim/flash/layout';
import { createTlsNetwork } from '../../hosts/sim/tls-network';
import type { TlsSessionCache } from '../../hosts/sim/tls-sessions';
import { nodeDigest } from '../../hosts/sim/node-digest';
import { nodeSignature } from '../../hosts/sim/node-signature';
import { deviceImageValidator } from '../device/boot';
import { FirmwareCrash, MAX_RESTARTS, installFirmwareApp, type RunResult } from '../device/run-device';
import type { ImageValidator } from '../../hosts/sim/flash/bootloader';
import { createFleetClock } from './fleet-clock';
import { createMemoryStore } from './memory-store';

/** Who a device is: device.json5 (id, product and its other properties) and its factory firmware. */
export interface DeviceIdentity {
	id: string;
	product: string;
	/** Properties sent with every check-in besides id and product. */
	properties: Record<string, unknown>;
}

/** What every device of a fleet shares: the cloud it talks to and how its agent is configured. */
export interface DeviceWorld {
	/** provision.json5 */
	api: string;
	token: string;
	/** PEM of the CA the devices trust. */
	caPem: string;
	/** One session cache for the fleet: resumed handshakes instead of full ones. */
	sessions?: TlsSessionCache;
	/** ioto.json5 keys for the agent. */
	update?: AgentConfig['update'];
	timeouts?: AgentConfig['timeouts'];
	/** Idle waits (backoff, deadlines) pass this many times faster; see fleet-clock.ts. */
	idleScale: number;
	/** Wraps a device's network adapter (faults). */
	network?: (network: NetworkPort, device: MemoryDevice) => NetworkPort;
	log?: (device: string, level: LogLevel, message: string) => void;
}

/** One cycle of one device: the line `updraft device run --once` prints. */
export type DeviceRun = RunResult;

export class MemoryDevice {
	readonly id: string;
	readonly product: string;
	readonly properties: Record<string, unknown>;
	readonly #layout: FlashLayout;
	readonly #media: FlashMedia;
	readonly #store = createMemoryStore();
	readonly #validate: ImageValidator;
	/** Device time when it was last powered off. */
	#time: number;
	#version: string;

	constructor(identity: DeviceIdentity, layout: FlashLayout, factoryImage: Uint8Array, factoryVersion: string, clockStart: number) {
		for (const key of ['id', 'product', 'version', 'iotoVersion']) {
			if (Object.hasOwn(identity.properties, key)) throw new Error(`device property ${key} is set by the device itself`);
		}
		this.id = identity.id;
		this.product = identity.product;
		this.properties = identity.properties;
		this.#layout = layout;
		this.#media = formatMemoryFlash(layout, factoryImage);
		this.#validate = deviceImageValidator(identity.product);
		this.#time = clockStart;
		this.#version = factoryVersion;
	}

	/** The version that ran at the last boot (the factory version before the first). */
	get version(): string {
		return this.#version;
	}

	/** Device time now (the clock runs on while the device is off, as an RTC does). */
	get time(): number {
		return this.#time;
	}

	/** The device sleeps until device time `time` (its clock never goes back). */
	sleepUntil(time: number): void {
		if (!Number.isFinite(time)) throw new RangeError(`a device sleeps until a time in ms, not ${time}`);
		this.#time = Math.max(this.#time, time);
	}

	/** Update reports the agent still holds (the cloud has not taken them yet). */
	get pendingReports(): number {
		const text = this.#store.get('reports');
		try {
			const list = text === undefined ? [] : JSON.parse(text) as unknown;
			return Array.isArray(list) ? list.length : 0;
		} catch {
			return 0;
		}
	}

	/** Boot, settle, check once, and restart until the device settles. */
	async cycle(world: DeviceWorld): Promise<DeviceRun> {
		const before = this.#version;
		let restarts = 0;
		let checked = false;
		let result: CycleResult | undefined;
		for (;;) {
			let session: PoweredOn;
			try {
				session = this.#powerOn(world);
			} catch (error) {
				if (error instanceof BootError) {
					result = { outcome: 'failed', reason: Reason.FLASH_ERROR, message: error.message };
					break;
				}
				if (!(error instanceof FirmwareCrash)) throw error;
				result = { outcome: 'failed', reason: Reason.AGENT_CRASHED, message: error.message };
				if (++restarts > MAX_RESTARTS) break;
				continue;
			}
			try {
				const settled = await session.agent.boot();
				if (settled) result = settled;
				if (!session.restartRequested && !checked) {
					checked = true;
					result = await session.agent.check();
				}
			} finally {
				session.powerOff();
			}
			if (!session.restartRequested) break;
			if (++restarts > MAX_RESTARTS) {
				result = { outcome: 'failed', reason: Reason.AGENT_CRASHED, message: `still restarting after ${MAX_RESTARTS} restarts` };
				break;
			}
		}
		const final = result ?? { outcome: 'none' as const };
		const run: DeviceRun = {
			id: this.id,
			before,
			after: this.#version,
			update: final.update ?? null,
			outcome: final.outcome,
			reason: final.reason ?? null,
			restarts,
		};
		if (final.message) run.message = final.message;
		return run;
	}

	#powerOn(world: DeviceWorld): PoweredOn {
		const regions = createFlashRegions(this.#media, this.#layout);
		const booted = boot(regions, this.#validate);
		const version = booted.image.version;
		this.#version = version;
		if (booted.image.behaviour === 'crash-on-boot') throw new FirmwareCrash(version);
		const clock = createFleetClock(this.#time, world.idleScale);
		const tls = createTlsNetwork({ ca: world.caPem, sessions: world.sessions, onActivity: (open) => clock.setBusy(open > 0) });
		let restartRequested = false;
		const log = world.log;
		const ports: Ports = {
			network: world.network ? world.network(tls, this) : tls,
			flash: createOtaFlash(regions, booted.slot, booted.state, { validate: this.#validate }),
			digest: nodeDigest,
			signature: nodeSignature,
			store: this.#store,
			clock,
			system: {
				version: () => version,
				restart: () => {
					restartRequested = true;
				},
			},
			log: log ? { log: (level, message) => log(this.id, level, message) } : undefined,
		};
		const config: AgentConfig = {
			provision: { api: world.api, token: world.token },
			device: { id: this.id, product: this.product, ...this.properties },
			update: world.update,
			timeouts: world.timeouts,
		};
		const agent = new UpdraftAgent(ports, config);
		installFirmwareApp(booted.image, agent);
		return {
			agent,
			get restartRequested() {
				return restartRequested;
			},
			powerOff: () => {
				this.#time = Math.max(this.#time, clock.now());
				clock.dispose();
				tls.closeAll();
			},
		};
	}
}

interface PoweredOn {
	agent: UpdraftAgent;
	readonly restartRequested: boolean;
	powerOff(): void;
}
