/*
 * What the cloud knows about devices: the properties of each device's latest check-in and what it
 * was offered. Kept in memory and mirrored to DIR/devices.json (replaced atomically) so that the
 * fleet survives a restart of the cloud.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../hosts/sim/atomic-file';

export interface DeviceRecord {
	id: string;
	product: string;
	/** The version the device said it runs at its latest check-in. */
	version: string;
	/** The whole check-in body. */
	properties: Record<string, unknown>;
	/** ISO time of the latest check-in. */
	lastCheckin: string;
	/** Release id offered at the latest check-in, null when none. */
	offered: string | null;
}

export interface DeviceRegistry {
	record(device: DeviceRecord): void;
	get(id: string): DeviceRecord | undefined;
	list(): DeviceRecord[];
}

export class JsonDeviceRegistry implements DeviceRegistry {
	readonly #file: string;
	readonly #devices = new Map<string, DeviceRecord>();

	constructor(dataDir: string) {
		this.#file = join(dataDir, 'devices.json');
		for (const device of loadDevices(this.#file)) this.#devices.set(device.id, device);
	}

	record(device: DeviceRecord): void {
		this.#devices.set(device.id, structuredClone(device));
		writeJsonAtomic(this.#file, { devices: [...this.#devices.values()] });
	}

	get(id: string): DeviceRecord | undefined {
		const device = this.#devices.get(id);
		return device && structuredClone(device);
	}

	list(): DeviceRecord[] {
		return [...this.#devices.values()].map((d) => structuredClone(d));
	}
}

function loadDevices(file: string): DeviceRecord[] {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw error;
	}
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
	}
	const list = (data as { devices?: unknown } | null)?.devices;
	if (!Array.isArray(list)) throw new Error(`${file} must hold {"devices": [...]}`);
	return list.map((entry, index) => {
		const d = entry as Partial<DeviceRecord> | null;
		if (!d || typeof d.id !== 'string' || typeof d.product !== 'string' || typeof d.version !== 'string' ||
			typeof d.lastCheckin !== 'string' || d.properties === null || typeof d.properties !== 'object' ||
			!(d.offered === null || typeof d.offered === 'string')) {
			throw new Error(`${file}: device #${index} is invalid`);
		}
		return d as DeviceRecord;
	});
}
