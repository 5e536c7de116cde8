/*
 * The ESP32 host's store over (a fake of) Moddable's preference module: key mapping to NVS names,
 * chunking of long values, and atomic set/delete although Preference.set is not.
 */
import test from 'ava';
import { createPreferenceStore, type PreferenceModule } from '../../hosts/esp32/preference-store';
import { baseOf, physicalKey, splitChunks, storedSize, CHUNK_BYTES, MAX_VALUE_BYTES } from '../../hosts/esp32/preference-keys';

class PowerCut extends Error {}

/**
 * Preference as on ESP32: names of at most 15 characters, strings of at most 3999 bytes (4000 with
 * the NUL), and set() = erase, then write (two flash operations a power cut can fall between).
 */
class FakePreference implements PreferenceModule {
	domains = new Map<string, Map<string, unknown>>();
	operations = 0;
	cutAt = Infinity;

	get(domain: string, key: string): unknown {
		this.#names(domain, key);
		return this.domains.get(domain)?.get(key);
	}

	set(domain: string, key: string, value: string): void {
		this.#names(domain, key);
		if (storedSize(value) > 3999) throw new Error('nvs set fail');
		const map = this.domains.get(domain) ?? new Map<string, unknown>();
		this.domains.set(domain, map);
		this.#operation();
		map.delete(key);
		this.#operation();
		map.set(key, value);
	}

	delete(domain: string, key: string): void {
		this.#names(domain, key);
		this.#operation();
		this.domains.get(domain)?.delete(key);
	}

	/** The flash as it is, for a store opened after a power cut. */
	clone(): FakePreference {
		const copy = new FakePreference();
		for (const [domain, map] of this.domains) copy.domains.set(domain, new Map(map));
		return copy;
	}

	#names(domain: string, key: string): void {
		if (domain.length > 15 || key.length > 15) throw new Error(`NVS name too long: ${domain}/${key}`);
	}

	#operation(): void {
		if (++this.operations >= this.cutAt) throw new PowerCut('power cut');
	}
}

test('values come back, across stores opened on the same preferences', (t) => {
	const preference = new FakePreference();
	const store = createPreferenceStore(preference);
	store.set('state', '{"state":"idle"}');
	store.set('lastCheck', '1795764850699');
	t.is(store.get('state'), '{"state":"idle"}');
	const again = createPreferenceStore(preference);
	t.is(again.get('lastCheck'), '1795764850699');
	t.is(again.get('journal'), undefined);
	again.delete('state');
	t.is(createPreferenceStore(preference).get('state'), undefined);
});

// Values at the edges of the limits, each stored and read back: [what, value]
const values: [string, string][] = [
	['empty', ''],
	['one chunk exactly', 'x'.repeat(CHUNK_BYTES)],
	['one byte over a chunk', 'x'.repeat(CHUNK_BYTES + 1)],
	['the 4000-byte limit', 'y'.repeat(MAX_VALUE_BYTES)],
	['two-byte characters across chunk edges', 'é'.repeat(1999)],
	['surrogate pairs across chunk edges', '😀'.repeat(999)],
	['NUL characters (two bytes in XS strings)', '\u0000a'.repeat(1000)],
	['newlines and spaces like a header', '3 1 state\n0 0 x\n'.repeat(100)],
];
for (const [name, value] of values) {
	test(`a value round-trips: ${name}`, (t) => {
		const preference = new FakePreference();
		createPreferenceStore(preference).set('v', value);
		t.is(createPreferenceStore(preference).get('v'), value);
	});
}

test('values over 4000 bytes (UTF-8) are refused with a RangeError that says so', (t) => {
	const store = createPreferenceStore(new FakePreference());
	t.throws(() => store.set('big', 'z'.repeat(MAX_VALUE_BYTES + 1)), { instanceOf: RangeError, message: /4001 bytes; the limit is 4000/ });
	t.throws(() => store.set('big', 'é'.repeat(2001)), { instanceOf: RangeError, message: /4002 bytes/ });
	t.throws(() => store.set('big', 42 as unknown as string), { instanceOf: TypeError });
});

// Keys: [key, accepted]
const keys: [unknown, boolean][] = [
	['a', true],
	['fifteen-chars15', true],
	['twelve-chars', true],
	['has#hash', true],
	['', false],
	['sixteen-chars-16', false],
	[undefined, false],
];
for (const [key, accepted] of keys) {
	test(`store key ${JSON.stringify(key)} is ${accepted ? 'accepted' : 'refused'}`, (t) => {
		const store = createPreferenceStore(new FakePreference());
		if (accepted) {
			store.set(key as string, 'v');
			t.is(store.get(key as string), 'v');
		} else {
			t.throws(() => store.set(key as string, 'v'), { instanceOf: RangeError, message: /1 to 15 characters/ });
		}
	});
}

test('every physical name fits NVS, and distinct keys never share one', (t) => {
	const names = new Set<string>();
	const logical = ['a', 'ab', 'twelve-chars', 'thirteen-char', 'fifteen-chars15', 'fifteen-chars16', 'has#hash', 'hash#'];
	for (const key of logical) {
		for (const slot of ['a', 'b'] as const) {
			for (let i = 0; i < 36; i++) {
				const name = physicalKey(baseOf(key), slot, i);
				t.true(name.length <= 15, name);
				t.false(names.has(name), `${name} is used twice`);
				names.add(name);
			}
		}
	}
	t.is(baseOf('twelve-chars'), 'twelve-chars', 'short keys are readable in NVS');
	t.regex(baseOf('thirteen-char'), /^thir#[0-9a-z]{7}$/);
});

test('chunks never split a surrogate pair and keep to the byte budget', (t) => {
	const text = 'a😀'.repeat(50);
	const chunks = splitChunks(text, 7);
	t.is(chunks.join(''), text);
	for (const chunk of chunks) {
		t.true(storedSize(chunk) <= 7);
		t.false(/[\ud800-\udbff]$/.test(chunk), 'no chunk ends with half a pair');
	}
});

test('a preference failure becomes an error naming the key and the NVS name', (t) => {
	const preference = new FakePreference();
	preference.set = () => {
		throw new Error('nvs set fail');
	};
	const store = createPreferenceStore(preference);
	t.throws(() => store.set('journal', '{}'), { message: /store: cannot write "journal" \(preference updraft\/journala0\): nvs set fail/ });
});

test('the domain must be a valid NVS namespace', (t) => {
	t.throws(() => createPreferenceStore(new FakePreference(), 'a-domain-too-long'), { instanceOf: RangeError });
});

// Atomicity: a power cut at every flash operation of a set() or delete(), for values of one and of
// several chunks. A store opened afterwards must read the old value or the new one, nothing else.
// [case, old value (undefined: absent), the change]
const long = (c: string) => c.repeat(CHUNK_BYTES * 2 + 10);
const changes: [string, string | undefined, string | undefined][] = [
	['first set', undefined, 'new'],
	['short over short', 'old', 'new'],
	['long over short', 'old', long('n')],
	['short over long', long('o'), 'new'],
	['long over long', long('o'), long('n')],
	['delete short', 'old', undefined],
	['delete long', long('o'), undefined],
];
for (const [name, before, after] of changes) {
	test(`a power cut anywhere in a change leaves the old value or the new one: ${name}`, (t) => {
		let cuts = 0;
		for (let cutAt = 1; ; cutAt++) {
			const preference = new FakePreference();
			const setup = createPreferenceStore(preference);
			// An earlier history, so that both slots hold records.
			setup.set('key', 'history');
			if (before !== undefined) setup.set('key', before);
			else setup.delete('key');
			preference.operations = 0;
			preference.cutAt = cutAt;
			const store = createPreferenceStore(preference);
			let completed = true;
			try {
				if (after === undefined) store.delete('key');
				else store.set('key', after);
			} catch (error) {
				if (!((error as Error).cause instanceof PowerCut)) throw error;
				completed = false;
			}
			const found = createPreferenceStore(preference.clone()).get('key');
			if (completed) {
				t.is(found, after, 'a completed change reads back');
				break;
			}
			cuts++;
			t.true(found === before || found === after, `cut at operation ${cutAt}: read ${JSON.stringify(found?.slice(0, 20))}`);
			// The store keeps working after the cut.
			const recovered = createPreferenceStore(preference.clone());
			recovered.set('key', 'after the cut');
			t.is(recovered.get('key'), 'after the cut');
		}
		t.true(cuts > 0, 'the change took at least one flash operation');
	});
}
