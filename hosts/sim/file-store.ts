/*
 * The persistent store port as one JSON file. Every set/delete rewrites the file atomically, so a
 * power cut loses at most the write in flight and never corrupts what was stored before. The
 * device's limits (15-character keys, 4000-byte values) are enforced here too, so code that runs
 * in the simulator also fits Moddable's preference store on ESP32.
 *
 * Each set and delete is one 'store' fault operation: a power cut there means the change is not
 * made (the atomic rename leaves no torn value), in the file and in memory alike.
 */
import * as fs from 'node:fs';
import type { StorePort } from '../../modules/ports';
import { writeFileAtomic } from './atomic-file';
import type { FaultInjector } from './flash/faults';

export const MAX_KEY_LENGTH = 15;
export const MAX_VALUE_BYTES = 4000;

export function createFileStore(file: string, faults?: FaultInjector): StorePort {
	let values = load(file);
	/** Write `next` to the file, then make it current: a failed write changes nothing. */
	const commit = (next: Record<string, string>) => {
		writeFileAtomic(file, JSON.stringify(next, null, '\t'));
		values = next;
	};
	return {
		get(key) {
			return Object.hasOwn(values, key) ? values[key] : undefined;
		},
		set(key, value) {
			checkKey(key);
			if (typeof value !== 'string') throw new TypeError(`store value for "${key}" must be a string`);
			if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw new RangeError(`store value for "${key}" exceeds ${MAX_VALUE_BYTES} bytes`);
			faults?.operation('store', `set ${key}`);
			commit(Object.assign(Object.create(null), values, { [key]: value }));
		},
		delete(key) {
			checkKey(key);
			faults?.operation('store', `delete ${key}`);
			if (!Object.hasOwn(values, key)) return;
			const next: Record<string, string> = Object.assign(Object.create(null), values);
			delete next[key];
			commit(next);
		},
	};
}

function checkKey(key: string): void {
	if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
		throw new RangeError(`store key must be 1 to ${MAX_KEY_LENGTH} characters: "${key}"`);
	}
}

function load(file: string): Record<string, string> {
	let text: string;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null);
		throw error;
	}
	const parsed: unknown = JSON.parse(text);
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`store file ${file} does not hold an object`);
	return Object.assign(Object.create(null), parsed);
}
