/*
 * The devices the cloud has seen: the properties of each one's latest check-in. Check-ins are
 * the busiest path, so records are collected in memory and written in one transaction per flush
 * (the server flushes every few hundred milliseconds and on close); reads see the unflushed
 * records too.
 *
 * A device that checks in again with nothing changed (same version, properties and offer) is
 * rewritten at most once per REFRESH_MS: its stored lastCheckin may then lag by up to that much.
 * Fleets check in rarely, so this only matters when devices retry in a storm, which is when the
 * database should not be written once per request.
 */
import type { DeviceRecord, DeviceWrite } from './store/records';
import type { CloudStore } from './store/store';

export const REFRESH_MS = 60_000;
/** Past this many devices remembered, the memory of what was written starts afresh. */
const MAX_REMEMBERED = 1_000_000;

/** FNV-1a over the parts that matter, so an unchanged check-in is recognised without keeping it. */
function fingerprint(device: DeviceWrite): number {
	let h = 0x811c9dc5;
	for (const part of [device.version, device.offered ?? '', device.propertiesJson]) {
		for (let i = 0; i < part.length; i++) {
			h ^= part.charCodeAt(i);
			h = Math.imul(h, 0x01000193);
		}
		h ^= 0xff;
	}
	return h >>> 0;
}

export class DeviceRegistry {
	readonly #store: CloudStore;
	#pending = new Map<string, DeviceWrite>();
	/** What was last written for each device, and when (ms). */
	#written = new Map<string, { fingerprint: number; at: number }>();

	constructor(store: CloudStore) {
		this.#store = store;
	}

	record(device: DeviceWrite, now = Date.now()): void {
		const print = fingerprint(device);
		const last = this.#written.get(device.id);
		if (last && last.fingerprint === print && now - last.at < REFRESH_MS && !this.#pending.has(device.id)) return;
		if (!last && this.#written.size >= MAX_REMEMBERED) this.#written.clear();
		this.#written.set(device.id, { fingerprint: print, at: now });
		this.#pending.set(device.id, device);
	}

	async get(id: string): Promise<DeviceRecord | undefined> {
		const pending = this.#pending.get(id);
		if (!pending) return this.#store.getDevice(id);
		const { propertiesJson, ...rest } = pending;
		return { ...rest, properties: JSON.parse(propertiesJson) as Record<string, unknown> };
	}

	/** Every device (of `product`), by id. */
	async list(product?: string): Promise<DeviceRecord[]> {
		await this.flush();
		return this.#store.listDevices(product);
	}

	async flush(): Promise<void> {
		if (this.#pending.size === 0) return;
		const batch = this.#pending;
		this.#pending = new Map();
		try {
			await this.#store.saveDevices([...batch.values()]);
		} catch (error) {
			// Keep what was not written, unless a newer check-in replaced it meanwhile.
			for (const [id, device] of batch) if (!this.#pending.has(id)) this.#pending.set(id, device);
			throw error;
		}
	}
}
