/*
 * The XS globals the ESP32 host uses, as the Moddable SDK's xs/includes/xs.d.ts declares them.
 * Only for type-checking hosts/esp32 without the SDK (npm run typecheck:esp32); an mcconfig build
 * uses the SDK's own file instead, so nothing here may contradict it.
 */
interface Trace {
	(...log: (string | number | boolean)[]): void;
	left(log: string | ArrayBufferLike, conversation?: string): void;
	center(log: string | ArrayBufferLike, conversation?: string): void;
	right(log: string | ArrayBufferLike, conversation?: string): void;
}
declare const trace: Trace;

/** Memory outside the XS heap (flash-mapped resources), readable where a buffer is accepted. */
declare class HostBuffer {
	readonly byteLength: number;
	private brand: boolean;
}

/** Anything the native modules accept as readable bytes. */
type ByteBuffer = ArrayBuffer | SharedArrayBuffer | HostBuffer | Uint8Array | Uint8ClampedArray | Int8Array | DataView;
