/*
 * The ESP32 host: the agent's ports on Moddable modules.
 *
 * Flash: the inactive OTA slot through ECMA-419 embedded:storage/flash ("nextota", opened
 * read/write), so that opening it erases nothing and a download can resume after a restart (see
 * partition-flash.ts for why embedded:update and the ota module cannot). What the flash module
 * cannot do goes through XS FFI (declared in hosts/esp32/manifest.json): updraft-ota.c switches the
 * boot partition with esp_ota_set_boot_partition (which validates the image) and reads the running
 * slot's esp_ota_img_states_t; ESP-IDF's own functions confirm (esp_ota_mark_app_valid_cancel_rollback),
 * roll back (esp_ota_mark_app_invalid_rollback; the agent restarts) and restart (esp_restart).
 * A trial boot exists only with CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE (see the README).
 */
import config from 'mc/config';
import Flash from 'embedded:storage/flash';
import FFI from 'mc/ffi';
import Timer from 'timer';
import type { Ports } from '../../modules/ports';
import type { UpdraftHost } from './host';
import { readHostConfig } from './host-config';
import { createPartitionFlash, type BootControl, type Partition } from './partition-flash';
import { checkEsp, runningStateOf } from './esp-ota';
import { moddableClock, moddableDigest, moddableNetwork, moddableSignature, moddableStore, traceLog } from './moddable-ports';

/** Received bytes held before the TLS socket stops reading (lwip then closes the TCP window). */
const HIGH_WATER = 8192;

export function createHost(): UpdraftHost {
	const settings = readHostConfig(config);
	const native = new FFI();
	const log = traceLog(settings.log);
	if (native.updraft_ota_rollback_enabled() !== 1) {
		log.log('warn', 'CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE is off: new firmware is never on trial and a failed self-test cannot be rolled back by the bootloader');
	}

	const control: BootControl = {
		inactiveLabel: () => native.updraft_ota_next_label(),
		openInactive: openNextOta,
		activate: () => checkEsp(native.updraft_ota_activate(), 'esp_ota_set_boot_partition'),
		runningState: () => runningStateOf(native.updraft_ota_running_state()),
		confirm: () => checkEsp(native.esp_ota_mark_app_valid_cancel_rollback(), 'esp_ota_mark_app_valid_cancel_rollback'),
		rollback: () => checkEsp(native.esp_ota_mark_app_invalid_rollback(), 'esp_ota_mark_app_invalid_rollback'),
	};

	const ports: Ports = {
		network: moddableNetwork(settings, { highWater: HIGH_WATER }),
		flash: createPartitionFlash(control, { align: 16 }),
		digest: moddableDigest,
		signature: moddableSignature,
		store: moddableStore(settings),
		clock: moddableClock(),
		system: {
			version: () => settings.version,
			restart() {
				log.log('info', 'restarting');
				// A moment for the log and the agent's last events before the reset.
				Timer.set(() => native.esp_restart(), 200);
			},
		},
		log,
	};
	return { ports, config: settings, platform: 'esp32' };
}

function openNextOta(): Partition {
	const flash = Flash.open({ path: 'nextota', mode: 'r+' });
	const { size, blockLength } = flash.status();
	return {
		size,
		blockLength,
		read: (byteLength, byteOffset) => flash.read(byteLength, byteOffset),
		write: (bytes, byteOffset) => flash.write(bytes, byteOffset),
		eraseBlock: (block) => flash.eraseBlock(block, block + 1),
		close: () => flash.close(),
	};
}
