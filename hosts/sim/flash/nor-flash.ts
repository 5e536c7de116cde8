/*
 * NOR flash rules over a medium: an erase sets a whole sector to 0xFF, and a write can only clear
 * bits (the new byte is old AND written), so writing over unerased data silently mixes the two,
 * as on the real chip. Each erase and each write is one fault operation: a power cut may stop it
 * before it starts, or tear a write after a prefix of its bytes.
 */
import { ERASED, type FlashMedium } from './medium';
import { PowerCut, type FaultInjector } from './faults';

export interface NorFlashOptions {
	/** The erase unit; 4096 on ESP32. */
	sectorSize?: number;
	faults?: FaultInjector;
	/** The region's name in messages and fault details ("otadata", "slot1"). */
	label: string;
}

export class NorFlash {
	readonly medium: FlashMedium;
	readonly sectorSize: number;
	readonly label: string;
	readonly faults: FaultInjector | undefined;

	constructor(medium: FlashMedium, options: NorFlashOptions) {
		const sectorSize = options.sectorSize ?? 4096;
		if (!Number.isSafeInteger(sectorSize) || sectorSize <= 0) throw new RangeError(`sector size must be a positive integer, not ${sectorSize}`);
		if (medium.size % sectorSize !== 0) throw new RangeError(`${options.label}: ${medium.size} bytes is not a whole number of ${sectorSize}-byte sectors`);
		this.medium = medium;
		this.sectorSize = sectorSize;
		this.label = options.label;
		this.faults = options.faults;
	}

	get size(): number {
		return this.medium.size;
	}

	get sectorCount(): number {
		return this.medium.size / this.sectorSize;
	}

	read(offset: number, length: number): Uint8Array {
		this.#checkRange(offset, length, 'read');
		return this.medium.read(offset, length);
	}

	eraseSector(index: number): void {
		if (!Number.isSafeInteger(index) || index < 0 || index >= this.sectorCount) {
			throw new RangeError(`${this.label}: no sector ${index} (it has ${this.sectorCount})`);
		}
		this.faults?.operation('erase', `${this.label} sector ${index}`);
		this.medium.store(index * this.sectorSize, new Uint8Array(this.sectorSize).fill(ERASED));
	}

	write(offset: number, bytes: Uint8Array): void {
		this.#checkRange(offset, bytes.length, 'write');
		if (bytes.length === 0) return;
		const fault = this.faults?.operation('write', `${this.label} ${bytes.length} bytes at ${offset}`, bytes.length);
		const tear = fault?.tear;
		const landing = tear === undefined ? bytes.length : Math.max(0, Math.min(bytes.length, Math.floor(tear)));
		const merged = this.medium.read(offset, landing);
		for (let i = 0; i < landing; i++) merged[i] &= bytes[i];
		this.medium.store(offset, merged);
		if (tear !== undefined) throw new PowerCut(`power cut during write of ${bytes.length} bytes at ${offset} in ${this.label}: ${landing} landed`);
	}

	#checkRange(offset: number, length: number, what: string): void {
		if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
			throw new RangeError(`${this.label}: ${what} of ${length} bytes at ${offset} is outside the ${this.size}-byte region`);
		}
	}
}
