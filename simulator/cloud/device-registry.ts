/*
 * The devices the cloud has seen: the properties of each one's latest check-in. Check-ins are
 * the busiest path, so records are collected in memory and written in one transaction per flush
 * (the server flushes every few hundred milliseconds and on close); reads see the unflushed
 * records too.
 */
import type { DeviceRecord, DeviceWrite } from './store/records';
import type { CloudStore } from './store/store';

export class DeviceRegistry {
	readonly #store: CloudStore;
	#pending = new Map<string, DeviceWrite>();

	constructor(store: CloudStore) {
		this.#store = store;
	}

	record(device: DeviceWrite): void {
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
