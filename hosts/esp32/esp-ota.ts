/*
 * What ESP-IDF's app_update answers mean to the agent: esp_err_t codes turned into errors that say
 * what went wrong, and the running slot's esp_ota_img_states_t turned into a RunningState.
 * Values from ESP-IDF's esp_err.h, esp_ota_ops.h, esp_image_format.h and esp_flash_err.h.
 */
import type { RunningState } from '../../modules/ports';

// esp_err_t code: [name, what it means here]
const ERRORS = new Map<number, [string, string]>([
	[-1, ['ESP_FAIL', 'generic failure (the running firmware may not be the active OTA slot, or is the factory app)']],
	[0x101, ['ESP_ERR_NO_MEM', 'out of memory']],
	[0x102, ['ESP_ERR_INVALID_ARG', 'invalid argument (no such partition?)']],
	[0x103, ['ESP_ERR_INVALID_STATE', 'invalid state']],
	[0x105, ['ESP_ERR_NOT_FOUND', 'partition or otadata not found: the partition table needs two OTA slots and otadata (defines.ota.autosplit)']],
	[0x106, ['ESP_ERR_NOT_SUPPORTED', 'not supported (factory app, or no otadata partition)']],
	[0x1501, ['ESP_ERR_OTA_PARTITION_CONFLICT', 'the partition is the one running']],
	[0x1502, ['ESP_ERR_OTA_SELECT_INFO_INVALID', 'the otadata partition holds invalid content']],
	[0x1503, ['ESP_ERR_OTA_VALIDATE_FAILED', 'the image in the slot is not a valid app image for this chip']],
	[0x1504, ['ESP_ERR_OTA_SMALL_SEC_VER', 'the image has a lower secure version than the running firmware']],
	[0x1505, ['ESP_ERR_OTA_ROLLBACK_FAILED', 'the other slot holds no valid firmware to roll back to']],
	[0x1506, ['ESP_ERR_OTA_ROLLBACK_INVALID_STATE', 'the running firmware is still pending verification']],
	[0x2001, ['ESP_ERR_IMAGE_FLASH_FAIL', 'flash read failed while checking the image']],
	[0x2002, ['ESP_ERR_IMAGE_INVALID', 'the image is not valid']],
	[0x6001, ['ESP_ERR_FLASH_OP_FAIL', 'flash operation failed']],
	[0x6002, ['ESP_ERR_FLASH_OP_TIMEOUT', 'flash operation timed out']],
]);

/** "ESP_ERR_OTA_VALIDATE_FAILED (0x1503): the image ..." */
export function describeEspError(code: number): string {
	const known = ERRORS.get(code);
	const hex = code < 0 ? String(code) : `0x${code.toString(16)}`;
	return known ? `${known[0]} (${hex}): ${known[1]}` : `esp_err_t ${hex}`;
}

/** Throw when an ESP-IDF call did not return ESP_OK. */
export function checkEsp(code: number, operation: string): void {
	if (code === 0) return;
	if (!Number.isInteger(code)) throw new Error(`${operation} returned ${String(code)}, not an esp_err_t: is the FFI binding right?`);
	throw new Error(`${operation} failed: ${describeEspError(code)}`);
}

/** What updraft_ota_running_state() returns besides an esp_ota_img_states_t. */
export const NO_OTA_STATE = -2;

// esp_ota_img_states_t of the running slot (as int32): [name, running state]
const STATES = new Map<number, [string, RunningState]>([
	[0, ['ESP_OTA_IMG_NEW', 'confirmed']],
	[1, ['ESP_OTA_IMG_PENDING_VERIFY', 'trial']],
	[2, ['ESP_OTA_IMG_VALID', 'confirmed']],
	[3, ['ESP_OTA_IMG_INVALID', 'confirmed']],
	[4, ['ESP_OTA_IMG_ABORTED', 'confirmed']],
	[-1, ['ESP_OTA_IMG_UNDEFINED', 'confirmed']],
	[NO_OTA_STATE, ['no OTA state (factory app or no otadata)', 'confirmed']],
]);

/**
 * Only ESP_OTA_IMG_PENDING_VERIFY is a trial: the bootloader sets it on the first boot of an
 * activated slot when CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE is on. Without rollback the state
 * stays UNDEFINED and every boot counts as confirmed.
 */
export function runningStateOf(code: number): RunningState {
	const state = STATES.get(code);
	if (!state) throw new Error(`unknown OTA image state ${String(code)} for the running slot`);
	return state[1];
}

export function otaStateName(code: number): string {
	return STATES.get(code)?.[0] ?? `unknown OTA image state ${String(code)}`;
}
