/*
 * The parts of ESP-IDF's app_update that the Updraft agent needs and that Moddable's modules do
 * not expose, as plain C functions bound to JavaScript by XS FFI (see the "ffi" section of
 * hosts/esp32/manifest.json). They wrap calls that take partition pointers, which FFI cannot pass.
 */
#include <stdint.h>
#include <stddef.h>
#include "sdkconfig.h"
#include "esp_err.h"
#include "esp_ota_ops.h"

/* What updraft_ota_running_state() returns when the running app has no OTA state. */
#define UPDRAFT_NO_OTA_STATE (-2)

int32_t updraft_ota_running_state(void);
int32_t updraft_ota_activate(void);
int32_t updraft_ota_rollback_enabled(void);
const char *updraft_ota_next_label(void);

/*
 * The esp_ota_img_states_t of the running slot: ESP_OTA_IMG_PENDING_VERIFY (1) on the first boot
 * of new firmware while rollback is enabled, ESP_OTA_IMG_VALID (2) once confirmed,
 * ESP_OTA_IMG_UNDEFINED (-1 as int32) without rollback; UPDRAFT_NO_OTA_STATE for a factory app or
 * a partition table without otadata.
 */
int32_t updraft_ota_running_state(void)
{
	const esp_partition_t *running = esp_ota_get_running_partition();
	esp_ota_img_states_t state;

	if (NULL == running)
		return UPDRAFT_NO_OTA_STATE;
	if (ESP_OK != esp_ota_get_state_partition(running, &state))
		return UPDRAFT_NO_OTA_STATE;
	return (int32_t)state;
}

/*
 * Boot the inactive slot next. esp_ota_set_boot_partition verifies the image first (as esp_ota_end
 * would) and returns ESP_ERR_OTA_VALIDATE_FAILED for one that cannot boot.
 */
int32_t updraft_ota_activate(void)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);

	if (NULL == next)
		return ESP_ERR_NOT_FOUND;
	return esp_ota_set_boot_partition(next);
}

/* 1 when this firmware was built with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE. */
int32_t updraft_ota_rollback_enabled(void)
{
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
	return 1;
#else
	return 0;
#endif
}

/* The label of the inactive slot ("ota_1"), or "none" without OTA partitions. */
const char *updraft_ota_next_label(void)
{
	const esp_partition_t *next = esp_ota_get_next_update_partition(NULL);

	return next ? next->label : "none";
}
