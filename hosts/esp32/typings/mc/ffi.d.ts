/*
 * The FFI bindings hosts/esp32/manifest.json declares for ESP32 (hosts/esp32/native/updraft-ota.c
 * and ESP-IDF's app_update and esp_system). mcconfig generates the same from the manifest for a
 * build; this copy is for type-checking without the SDK.
 */
declare module 'mc/ffi' {
	interface UpdraftFFI {
		updraft_ota_running_state(): number;
		updraft_ota_activate(): number;
		updraft_ota_rollback_enabled(): number;
		updraft_ota_next_label(): string;
		esp_ota_mark_app_valid_cancel_rollback(): number;
		esp_ota_mark_app_invalid_rollback(): number;
		esp_restart(): void;
	}
	const FFI: { new (): UpdraftFFI };
	export default FFI;
}
