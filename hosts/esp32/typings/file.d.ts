/*
 * Moddable's file module (modules/files/file), from documentation/files/files.md. Paths are
 * absolute (config.file.root is the app's folder). File.write() takes strings, numbers (one byte)
 * and ArrayBuffers, at the current position.
 */
declare module 'file' {
	export class File {
		/** Open for reading, or with `write` for reading and writing (created when missing). */
		constructor(path: string, write?: boolean);
		read(type: typeof ArrayBuffer, byteLength?: number): ArrayBuffer;
		read(type: typeof String, byteLength?: number): string;
		write(...data: (string | number | ArrayBuffer)[]): void;
		close(): void;
		readonly length: number;
		position: number;
		static delete(path: string): boolean;
		static exists(path: string): boolean;
		/** `to` without a slash renames within the same folder. */
		static rename(from: string, to: string): boolean;
	}

	export type DirectoryEntry = { name: string; length: undefined } | { name: string; length: number };

	export class Iterator {
		constructor(path: string);
		next(): DirectoryEntry | undefined;
		[Symbol.iterator](): IterableIterator<DirectoryEntry>;
	}

	export class Directory {
		/** No error when it exists already. */
		static create(path: string): void;
		static delete(path: string): void;
	}

	export class System {
		static config(): { maxPathLength: number };
		static info(): { used: number; total: number };
	}

	const file: { File: typeof File; Iterator: typeof Iterator; Directory: typeof Directory; System: typeof System };
	export default file;
}
