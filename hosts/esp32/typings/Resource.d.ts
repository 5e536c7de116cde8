/*
 * Moddable's Resource (modules/files/resource): read-only data built into the app (manifest
 * "resources" and "data"), in flash on a device, as a HostBuffer.
 */
declare module 'Resource' {
	export default class Resource extends HostBuffer {
		constructor(path: string);
		static exists(path: string): boolean;
		slice(begin: number, end?: number): ArrayBuffer;
		slice(begin: number, end: number | undefined, copy: false): HostBuffer;
	}
}
