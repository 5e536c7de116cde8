/*
 * The agent's StorePort over Moddable's preference module (NVS on ESP32, a JSON file in the
 * desktop simulators), keeping the port's promise that each set() is atomic although one
 * Preference.set is not: on ESP32 it erases the key and then writes it, so a power cut in between
 * loses the value, and a value longer than one chunk takes several keys anyway.
 *
 * So every logical key has two record slots, 'a' and 'b' (names in preference-keys.ts). A record
 * is chunk 0  "<seq> <count> <key>\n<text>"  plus chunks 1..count-1  "<seq>\n<text>". The value
 * is that of the complete record (all chunks present with its seq) with the highest seq.
 * - set() writes the slot that does not hold the current value, chunks from last to first, with
 *   a seq above any seen: until its chunk 0 is written the old record still wins, after it the
 *   new one does. A cut anywhere leaves either the old value or the new.
 * - delete() removes the other slot first, then the current record's chunk 0 (from then on the key
 *   reads as absent), then the rest.
 * What was read or written is cached: nothing else writes the domain.
 */
import type { StorePort } from '../../modules/ports';
import { MAX_CHUNKS, MAX_VALUE_BYTES, baseOf, checkKey, physicalKey, splitChunks, storedSize, type SlotName } from './preference-keys';

/** Moddable's Preference (module "preference"), as far as the store uses it. */
export interface PreferenceModule {
	get(domain: string, key: string): unknown;
	set(domain: string, key: string, value: string): void;
	delete(domain: string, key: string): void;
}

interface SlotRecord {
	seq: number;
	/** Chunks the record's chunk 0 announces. */
	count: number;
	/** The whole value, when every chunk is there. */
	value?: string;
}

interface Entry {
	base: string;
	slots: Partial<Record<SlotName, SlotRecord>>;
	/** The slot holding the current value, if any. */
	current?: SlotName;
}

const SLOTS: readonly SlotName[] = ['a', 'b'];

export function createPreferenceStore(preference: PreferenceModule, domain = 'updraft'): StorePort {
	if (typeof domain !== 'string' || domain.length === 0 || domain.length > 15) {
		throw new RangeError(`preference domain must be 1 to 15 characters, not ${JSON.stringify(domain)}`);
	}
	const entries = new Map<string, Entry>();

	const call = <T>(what: string, key: string, physical: string, run: () => T): T => {
		try {
			return run();
		} catch (error) {
			throw new Error(`store: cannot ${what} "${key}" (preference ${domain}/${physical}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
		}
	};
	const read = (key: string, physical: string): string | undefined => {
		const value = call('read', key, physical, () => preference.get(domain, physical));
		return typeof value === 'string' ? value : undefined;
	};
	const write = (key: string, physical: string, text: string) => call('write', key, physical, () => preference.set(domain, physical, text));
	const remove = (key: string, physical: string) => call('delete', key, physical, () => preference.delete(domain, physical));

	const load = (key: string): Entry => {
		let entry = entries.get(key);
		if (entry) return entry;
		const base = baseOf(key);
		entry = { base, slots: {} };
		for (const slot of SLOTS) {
			const record = readRecord(key, base, slot, read);
			if (record) entry.slots[slot] = record;
		}
		entry.current = newestComplete(entry);
		entries.set(key, entry);
		return entry;
	};

	return {
		get(key) {
			checkKey(key);
			const entry = load(key);
			return entry.current ? entry.slots[entry.current]?.value : undefined;
		},
		set(key, value) {
			checkKey(key);
			if (typeof value !== 'string') throw new TypeError(`store value for "${key}" must be a string, not ${typeof value}`);
			const size = storedSize(value);
			if (size > MAX_VALUE_BYTES) throw new RangeError(`store value for "${key}" is ${size} bytes; the limit is ${MAX_VALUE_BYTES}`);
			const entry = load(key);
			const target: SlotName = entry.current === 'a' ? 'b' : 'a';
			const seq = Math.max(0, ...SLOTS.map((slot) => entry.slots[slot]?.seq ?? 0)) + 1;
			const chunks = splitChunks(value);
			const previous = entry.slots[target];
			// Whatever happens below, the target slot no longer holds a record we can vouch for.
			delete entry.slots[target];
			for (let i = chunks.length - 1; i >= 1; i--) write(key, physicalKey(entry.base, target, i), `${seq}\n${chunks[i]}`);
			write(key, physicalKey(entry.base, target, 0), `${seq} ${chunks.length} ${key}\n${chunks[0]}`);
			entry.slots[target] = { seq, count: chunks.length, value };
			entry.current = target;
			// Chunks a longer earlier record left beyond the new count: unreachable now, reclaim them.
			for (let i = chunks.length; i < (previous?.count ?? 0); i++) remove(key, physicalKey(entry.base, target, i));
		},
		delete(key) {
			checkKey(key);
			const entry = load(key);
			const order = entry.current === 'a' ? (['b', 'a'] as const) : (['a', 'b'] as const);
			for (const slot of order) {
				const record = entry.slots[slot];
				if (!record) continue;
				delete entry.slots[slot];
				if (entry.current === slot) entry.current = undefined;
				for (let i = 0; i < record.count; i++) remove(key, physicalKey(entry.base, slot, i));
			}
			entry.current = undefined;
		},
	};
}

/** A slot's record as found; undefined when its chunk 0 is missing or unreadable. */
function readRecord(key: string, base: string, slot: SlotName, read: (key: string, physical: string) => string | undefined): SlotRecord | undefined {
	const head = read(key, physicalKey(base, slot, 0));
	if (head === undefined) return undefined;
	const newline = head.indexOf('\n');
	const match = /^(\d{1,15}) (\d{1,2}) ([^\n]*)$/.exec(newline < 0 ? '' : head.slice(0, newline));
	if (!match) return undefined;
	const seq = Number(match[1]);
	const count = Number(match[2]);
	if (match[3] !== key) throw new Error(`store keys "${key}" and "${match[3]}" map to the same preference keys (${physicalKey(base, slot, 0)}); rename one`);
	if (count < 1 || count > MAX_CHUNKS) return undefined;
	const record: SlotRecord = { seq, count };
	const parts = [head.slice(newline + 1)];
	for (let i = 1; i < count; i++) {
		const chunk = read(key, physicalKey(base, slot, i));
		const prefix = `${seq}\n`;
		if (chunk === undefined || !chunk.startsWith(prefix)) return record;
		parts.push(chunk.slice(prefix.length));
	}
	record.value = parts.join('');
	return record;
}

function newestComplete(entry: Entry): SlotName | undefined {
	let best: SlotName | undefined;
	for (const slot of SLOTS) {
		const record = entry.slots[slot];
		if (record?.value === undefined) continue;
		if (best === undefined || record.seq > (entry.slots[best] as SlotRecord).seq) best = slot;
	}
	return best;
}
