/* What ESP-IDF's app_update answers mean to the ESP32 host. */
import test from 'ava';
import { checkEsp, describeEspError, runningStateOf, otaStateName, NO_OTA_STATE } from '../../hosts/esp32/esp-ota';

// esp_ota_img_states_t of the running slot (int32) -> running state
const states: [number, 'trial' | 'confirmed', string][] = [
	[1, 'trial', 'ESP_OTA_IMG_PENDING_VERIFY'],
	[2, 'confirmed', 'ESP_OTA_IMG_VALID'],
	[0, 'confirmed', 'ESP_OTA_IMG_NEW'],
	[-1, 'confirmed', 'ESP_OTA_IMG_UNDEFINED'],
	[3, 'confirmed', 'ESP_OTA_IMG_INVALID'],
	[4, 'confirmed', 'ESP_OTA_IMG_ABORTED'],
	[NO_OTA_STATE, 'confirmed', 'no OTA state (factory app or no otadata)'],
];
for (const [code, state, name] of states) {
	test(`OTA state ${code} (${name}) runs ${state}`, (t) => {
		t.is(runningStateOf(code), state);
		t.is(otaStateName(code), name);
	});
}

test('an OTA state the binding should never return is an error, not a guess', (t) => {
	t.throws(() => runningStateOf(7), { message: /unknown OTA image state 7/ });
	t.throws(() => runningStateOf(Number.NaN), { message: /unknown/ });
});

// esp_err_t -> the words the error must carry
const errors: [number, RegExp][] = [
	[0x1503, /ESP_ERR_OTA_VALIDATE_FAILED \(0x1503\): the image in the slot is not a valid app image/],
	[0x1505, /ESP_ERR_OTA_ROLLBACK_FAILED \(0x1505\): the other slot holds no valid firmware/],
	[0x105, /ESP_ERR_NOT_FOUND \(0x105\).*autosplit/],
	[-1, /ESP_FAIL \(-1\)/],
	[0x4242, /esp_err_t 0x4242/],
];
for (const [code, message] of errors) {
	test(`esp_err_t ${code} is explained`, (t) => {
		t.regex(describeEspError(code), message);
		t.throws(() => checkEsp(code, 'esp_ota_set_boot_partition'), { message: new RegExp(`^esp_ota_set_boot_partition failed: ${message.source}`) });
	});
}

test('ESP_OK passes; a value that is no esp_err_t says the binding is wrong', (t) => {
	t.notThrows(() => checkEsp(0, 'x'));
	t.throws(() => checkEsp(undefined as unknown as number, 'x'), { message: /not an esp_err_t: is the FFI binding right/ });
});
