/*
 * Boot control for the desktop builds (Moddable's lin/mac/win simulators): two slot files and a
 * boot record in a flash folder, driven by boot-record.ts. Creating it is the simulated power-on:
 * the bootloader step runs, and the result says which slot and version "run" until the app is
 * started again (a restart in the simulator is a relaunch).
 */
import type { RunningState } from '../../modules/ports';
import type { BootControl, Partition } from './partition-flash';
import { activate, boot, confirm, freshRecord, invalidate, otherSlot, parseRecord, rollback, versionOf, type BootRecord, type SlotIndex } from './boot-record';
import { readSimHeader, simHeaderLength, SIM_HEADER_PREFIX } from './sim-image';

/** The flash folder, as files. */
export interface FlashFiles {
	/** A file's text, or undefined when it does not exist. */
	read(name: string): string | undefined;
	/** Replace a file's text so that a crash leaves the old text or the new, never a mix. */
	write(name: string, text: string): void;
	/** A slot file as a partition of `size` bytes (created erased when missing). */
	partition(name: string, size: number, blockLength: number): Partition;
}

export interface DesktopBootOptions {
	/** Bytes per slot. */
	slotSize: number;
	/** The version the app runs as while the built-in firmware (slot 0 as built) boots. */
	builtinVersion: string;
	/** Erase unit; default 4096, as on ESP32. */
	blockLength?: number;
}

export interface DesktopBoot extends BootControl {
	readonly runningSlot: SlotIndex;
	/** The version of the firmware this boot runs. */
	readonly version: string;
	/** The bootloader went back to the other slot at this power-on. */
	readonly rolledBack: boolean;
}

export const BOOT_FILE = 'boot.json';
export const slotFile = (slot: SlotIndex): string => `slot${slot}.bin`;

export function bootDesktop(files: FlashFiles, options: DesktopBootOptions): DesktopBoot {
	const blockLength = options.blockLength ?? 4096;
	if (!(Number.isSafeInteger(options.slotSize) && options.slotSize > 0 && options.slotSize % blockLength === 0)) {
		throw new RangeError(`slotSize must be a positive multiple of ${blockLength}, not ${options.slotSize}`);
	}
	const stored = files.read(BOOT_FILE);
	const booted = boot(stored === undefined ? freshRecord() : parseRecord(stored));
	let record: BootRecord = booted.record;
	const save = (next: BootRecord) => {
		files.write(BOOT_FILE, JSON.stringify(next));
		record = next;
	};
	if (stored === undefined || JSON.stringify(record) !== stored) save(record);
	const running = booted.slot;
	const inactive = otherSlot(running);
	let state: RunningState = booted.state;
	const open = () => files.partition(slotFile(inactive), options.slotSize, blockLength);

	return {
		runningSlot: running,
		version: versionOf(record.slots[running], options.builtinVersion),
		rolledBack: booted.rolledBack,
		inactiveLabel: () => `slot${inactive}`,
		openInactive: open,
		invalidateInactive() {
			if (record.slots[inactive].kind !== 'empty') save(invalidate(record, inactive));
		},
		activate(byteLength) {
			const partition = open();
			let header;
			try {
				const prefix = new Uint8Array(partition.read(SIM_HEADER_PREFIX, 0));
				const length = simHeaderLength(prefix);
				header = length === undefined || length > byteLength ? undefined : readSimHeader(new Uint8Array(partition.read(length, 0)));
			} finally {
				partition.close();
			}
			// The bootloader's image check: only a simulated image can boot on the desktop.
			if (!header) throw new Error(`slot${inactive} holds no bootable image (it does not start with a simulated image header)`);
			save(activate(record, inactive, byteLength, header.version));
		},
		runningState: () => state,
		confirm() {
			save(confirm(record, running));
			state = 'confirmed';
		},
		rollback() {
			save(rollback(record, running));
		},
	};
}
