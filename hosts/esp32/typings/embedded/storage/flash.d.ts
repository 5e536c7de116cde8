/*
 * ECMA-419 flash storage (modules/io/flash), Moddable's ESP32 implementation: open({path}) with
 * "running", "nextota" (esp_ota_get_next_update_partition), "xs" or a data partition's label.
 * write() does not erase (NOR flash: bits only go from 1 to 0); eraseBlock(start, end) erases
 * blocks [start, end). status() gives size, blockLength (the erase unit) and blocks.
 */
declare module 'embedded:storage/flash' {
	export interface FlashOpenOptions {
		path: string;
		/** Default "r+". */
		mode?: 'r' | 'r+';
	}

	export interface FlashStatus {
		size: number;
		blockLength: number;
		blocks: number;
	}

	export class Flash {
		close(): void;
		eraseBlock(start: number, end?: number): void;
		read(byteLength: number, byteOffset: number): ArrayBuffer;
		read(buffer: ByteBuffer, byteOffset: number): number;
		write(buffer: ByteBuffer, byteOffset: number): void;
		status(): FlashStatus;
		format: 'buffer';
	}

	const FlashStorage: {
		open(options: FlashOpenOptions): Flash;
		[Symbol.iterator](): IterableIterator<string>;
	};
	export default FlashStorage;
}
