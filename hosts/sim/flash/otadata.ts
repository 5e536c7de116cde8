/*
 * The boot record, kept as ESP-IDF keeps otadata: two copies in two sectors, each entry carrying
 * a sequence number and a CRC. The entry in force is the copy with a valid CRC and the highest
 * sequence number. A new entry goes into the sector that does NOT hold the entry in force (erase,
 * then write), so a power cut at any point leaves either the old entry or the new one in force:
 * a half-erased or torn copy fails its CRC and is ignored.
 *
 *   entry (16 bytes, little-endian): seq u32 | slot u32 | state u32 | crc32 of the 12 bytes before
 *
 * States take ESP-IDF's values (esp_ota_img_states_t). The entry names one slot and its state:
 * NEW and PENDING_VERIFY mean "boot this slot on trial", VALID "boot this slot", INVALID and
 * ABORTED "this slot failed: boot the other one".
 */
import { crc32 } from './crc32';
import type { NorFlash } from './nor-flash';
import { OTADATA_SECTORS, type SlotIndex } from './layout';

export type OtaState = 'NEW' | 'PENDING_VERIFY' | 'VALID' | 'INVALID' | 'ABORTED';

const STATES: readonly OtaState[] = ['NEW', 'PENDING_VERIFY', 'VALID', 'INVALID', 'ABORTED'];

export interface OtaEntry {
	seq: number;
	slot: SlotIndex;
	state: OtaState;
}

export const ENTRY_BYTES = 16;
const MAX_SEQ = 0xfffffffe;

export function encodeEntry(entry: OtaEntry): Uint8Array {
	const bytes = new Uint8Array(ENTRY_BYTES);
	const view = new DataView(bytes.buffer);
	view.setUint32(0, entry.seq, true);
	view.setUint32(4, entry.slot, true);
	view.setUint32(8, STATES.indexOf(entry.state), true);
	view.setUint32(12, crc32(bytes.subarray(0, 12)), true);
	return bytes;
}

/** The entry in `bytes`, or undefined for an erased, torn or corrupt copy. */
export function decodeEntry(bytes: Uint8Array): OtaEntry | undefined {
	if (bytes.length < ENTRY_BYTES) return undefined;
	const view = new DataView(bytes.buffer, bytes.byteOffset, ENTRY_BYTES);
	const seq = view.getUint32(0, true);
	const slot = view.getUint32(4, true);
	const state = view.getUint32(8, true);
	if (view.getUint32(12, true) !== crc32(bytes.subarray(0, 12))) return undefined;
	if (seq === 0 || seq > MAX_SEQ || (slot !== 0 && slot !== 1) || state >= STATES.length) return undefined;
	return { seq, slot, state: STATES[state] };
}

export class Otadata {
	readonly flash: NorFlash;

	constructor(flash: NorFlash) {
		if (flash.sectorCount !== OTADATA_SECTORS) throw new RangeError(`otadata must have ${OTADATA_SECTORS} sectors, ${flash.label} has ${flash.sectorCount}`);
		this.flash = flash;
	}

	/** Both copies as stored, undefined where a copy is blank or fails its CRC. */
	copies(): [OtaEntry | undefined, OtaEntry | undefined] {
		return [this.#copy(0), this.#copy(1)];
	}

	/** The entry in force, undefined while otadata is blank (the factory image boots). */
	read(): OtaEntry | undefined {
		return this.#current()?.entry;
	}

	/** Put a new entry in force; a power cut inside leaves the previous entry in force. */
	write(slot: SlotIndex, state: OtaState): OtaEntry {
		if (slot !== 0 && slot !== 1) throw new RangeError(`otadata slot must be 0 or 1, not ${String(slot)}`);
		if (!STATES.includes(state)) throw new RangeError(`unknown otadata state ${String(state)}`);
		const current = this.#current();
		const seq = (current?.entry.seq ?? 0) + 1;
		if (seq > MAX_SEQ) throw new RangeError('otadata sequence number exhausted');
		const entry: OtaEntry = { seq, slot, state };
		const sector = current === undefined ? 0 : 1 - current.sector;
		this.flash.eraseSector(sector);
		this.flash.write(sector * this.flash.sectorSize, encodeEntry(entry));
		return entry;
	}

	#copy(sector: number): OtaEntry | undefined {
		return decodeEntry(this.flash.read(sector * this.flash.sectorSize, ENTRY_BYTES));
	}

	#current(): { entry: OtaEntry; sector: number } | undefined {
		const [a, b] = this.copies();
		if (a && (!b || a.seq >= b.seq)) return { entry: a, sector: 0 };
		if (b) return { entry: b, sector: 1 };
		return undefined;
	}
}
