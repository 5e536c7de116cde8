/*
 * The desktop builds' stand-in for ESP-IDF's otadata and bootloader: a record of which slot boots
 * and in what state, moved along exactly as ESP-IDF with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE:
 *
 *   activate(slot)   the slot boots next, state 'new'                 (esp_ota_set_boot_partition)
 *   boot             'new' -> 'pending': this boot is a trial          (bootloader)
 *                    'pending' again: the trial never confirmed, so the slot is marked invalid and
 *                    the other slot boots                              (bootloader rollback)
 *   confirm          'pending' -> 'valid'                              (esp_ota_mark_app_valid_cancel_rollback)
 *   rollback         the other slot boots, this one is invalid         (esp_ota_mark_app_invalid_rollback)
 *
 * Slot 0 starts with the built-in firmware (the app as built, at its configured version); a slot
 * that received an image boots as the version the image's header names.
 */
import type { RunningState } from '../../modules/ports';

export type SlotIndex = 0 | 1;

export type SlotContent =
	| { kind: 'builtin' }
	| { kind: 'empty' }
	| { kind: 'invalid' }
	| { kind: 'image'; length: number; version: string };

export interface BootRecord {
	/** The slot that boots. */
	active: SlotIndex;
	state: 'new' | 'pending' | 'valid';
	slots: [SlotContent, SlotContent];
}

export const otherSlot = (slot: SlotIndex): SlotIndex => (slot === 0 ? 1 : 0);

export function freshRecord(): BootRecord {
	return { active: 0, state: 'valid', slots: [{ kind: 'builtin' }, { kind: 'empty' }] };
}

export function isBootable(content: SlotContent): boolean {
	return content.kind === 'builtin' || content.kind === 'image';
}

/** Parse a stored record; a damaged one is an Error that says so (never a silent reformat). */
export function parseRecord(text: string): BootRecord {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new Error('the boot record is not JSON');
	}
	const record = value as BootRecord;
	if (!record || typeof record !== 'object' || (record.active !== 0 && record.active !== 1)
		|| !['new', 'pending', 'valid'].includes(record.state) || !Array.isArray(record.slots) || record.slots.length !== 2
		|| !record.slots.every(validContent)) {
		throw new Error(`the boot record is damaged: ${text.slice(0, 200)}`);
	}
	return record;
}

function validContent(content: SlotContent): boolean {
	if (!content || typeof content !== 'object') return false;
	if (content.kind === 'image') return Number.isSafeInteger(content.length) && content.length > 0 && typeof content.version === 'string';
	return content.kind === 'builtin' || content.kind === 'empty' || content.kind === 'invalid';
}

/** What the bootloader does at power-on: the record to store and how the running slot boots. */
export function boot(record: BootRecord): { record: BootRecord; slot: SlotIndex; state: RunningState; rolledBack: boolean } {
	let next: BootRecord = { ...record, slots: [...record.slots] };
	let rolledBack = false;
	if (next.state === 'pending') {
		// The trial boot ended without a confirm: never boot that slot again.
		next = fallBack(next);
		rolledBack = true;
	}
	if (!isBootable(next.slots[next.active])) {
		next = fallBack(next);
		rolledBack = true;
	}
	if (next.state === 'new') next.state = 'pending';
	return { record: next, slot: next.active, state: next.state === 'pending' ? 'trial' : 'confirmed', rolledBack };
}

function fallBack(record: BootRecord): BootRecord {
	const failed = record.active;
	const other = otherSlot(failed);
	if (!isBootable(record.slots[other])) throw new Error(`no bootable firmware: slot${failed} failed and slot${other} holds none`);
	const slots: [SlotContent, SlotContent] = [...record.slots];
	slots[failed] = { kind: 'invalid' };
	return { active: other, state: 'valid', slots };
}

export function activate(record: BootRecord, slot: SlotIndex, length: number, version: string): BootRecord {
	const slots: [SlotContent, SlotContent] = [...record.slots];
	slots[slot] = { kind: 'image', length, version };
	return { active: slot, state: 'new', slots };
}

/** The slot is being written: whatever it held can no longer boot. */
export function invalidate(record: BootRecord, slot: SlotIndex): BootRecord {
	if (slot === record.active) throw new Error(`slot${slot} is the one that boots: it cannot be overwritten`);
	const slots: [SlotContent, SlotContent] = [...record.slots];
	slots[slot] = { kind: 'empty' };
	return { ...record, slots };
}

export function confirm(record: BootRecord, running: SlotIndex): BootRecord {
	if (record.active !== running) throw new Error(`slot${running} is not the active slot: it cannot be confirmed`);
	return { ...record, state: 'valid' };
}

export function rollback(record: BootRecord, running: SlotIndex): BootRecord {
	if (record.active !== running) throw new Error(`slot${running} is not the active slot: nothing to roll back from`);
	const other = otherSlot(running);
	if (!isBootable(record.slots[other])) throw new Error(`slot${other} holds no firmware to roll back to`);
	const slots: [SlotContent, SlotContent] = [...record.slots];
	slots[running] = { kind: 'invalid' };
	return { active: other, state: 'valid', slots };
}

/** The version a slot runs as. */
export function versionOf(content: SlotContent, builtinVersion: string): string {
	if (content.kind === 'image') return content.version;
	if (content.kind === 'builtin') return builtinVersion;
	throw new Error(`a ${content.kind} slot does not run`);
}
