/*
 * The persistent store of an in-memory device: a Map that survives the device's restarts because
 * the device object keeps it. The limits of Moddable's preference store (the ones
 * hosts/sim/file-store.ts enforces) apply here too, so the agent meets the same rules as on a
 * board.
 */
import type { StorePort } from '../../modules/ports';
import { MAX_KEY_LENGTH, MAX_VALUE_BYTES } from '../../hosts/sim/file-store';

export function createMemoryStore(values = new Map<string, string>()): StorePort & { readonly values: Map<string, string> } {
	return {
		values,
		get: (key) => values.get(key),
		set(key, value) {
			checkKey(key);
			if (typeof value !== 'string') throw new TypeError(`store value for "${key}" must be a string`);
			if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new RangeError(`store value for "${key}" exceeds ${MAX_VALUE_BYTES} bytes`);
			values.set(key, value);
		},
		delete(key) {
			checkKey(key);
			values.delete(key);
		},
	};
}

function checkKey(key: string): void {
	if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
		throw new RangeError(`store key must be 1 to ${MAX_KEY_LENGTH} characters: "${key}"`);
	}
}
