/*
 * Moddable's preference module (modules/files/preference), from documentation/files/files.md
 * § class Preference. On ESP32 a domain is an NVS namespace: domain and key names of at most 15
 * characters, values of at most 4000 bytes; floats are refused. set() erases the key first.
 */
declare module 'preference' {
	export type PreferenceValue = boolean | number | string | ArrayBuffer;
	export default class Preference {
		static set(domain: string, key: string, value: PreferenceValue): void;
		static get(domain: string, key: string): PreferenceValue | undefined;
		/** No error when the key does not exist. */
		static delete(domain: string, key: string): void;
		static keys(domain: string): string[];
	}
}
