/*
 * Small release images held in memory, so that a fleet downloading the same firmware does not
 * open, read and close its file once per device. An entry is used only while the file is the
 * one it was read from (same inode, size and modification time, from the stat every download
 * makes anyway), so an image changed or damaged at rest is read again, never served stale. File
 * times tick coarsely (a few ms), so a file modified in the last second is not kept at all: a
 * second change within the same tick would leave its identity as it was.
 * Large images are streamed from their file as before; the cache holds at most `maxTotalBytes`,
 * dropping the entries used longest ago.
 */
import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface ImageCacheOptions {
	/** Largest image kept in memory; default 1 MiB. */
	maxItemBytes?: number;
	/** Bytes held at most; default 32 MiB. */
	maxTotalBytes?: number;
}

/** A file modified this recently is not kept. */
const RECENT_MS = 1000;

interface Entry {
	identity: string;
	bytes: Buffer;
}

export class ImageCache {
	readonly maxItemBytes: number;
	readonly #maxTotalBytes: number;
	/** In order of use, the latest last. */
	readonly #entries = new Map<string, Entry>();
	#total = 0;

	constructor(options: ImageCacheOptions = {}) {
		this.maxItemBytes = options.maxItemBytes ?? 1024 * 1024;
		this.#maxTotalBytes = options.maxTotalBytes ?? 32 * 1024 * 1024;
	}

	/** The bytes of the file at `path`, whose stat is `stats`; undefined when it is too large to keep. */
	async read(path: string, stats: Stats): Promise<Buffer | undefined> {
		if (stats.size > this.maxItemBytes || stats.size > this.#maxTotalBytes) return undefined;
		const identity = `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
		const cached = this.#entries.get(path);
		if (cached) {
			this.#entries.delete(path);
			this.#total -= cached.bytes.length;
			if (cached.identity === identity) return this.#keep(path, cached);
		}
		const bytes = await readFile(path);
		// Changed between the stat and the read, or so recently that it may change unseen: serve
		// what was read, keep nothing.
		if (bytes.length !== stats.size || Date.now() - stats.mtimeMs < RECENT_MS) return bytes;
		return this.#keep(path, { identity, bytes });
	}

	/** Entries held now (for tests). */
	get size(): number {
		return this.#entries.size;
	}

	#keep(path: string, entry: Entry): Buffer {
		this.#entries.set(path, entry);
		this.#total += entry.bytes.length;
		for (const [key, old] of this.#entries) {
			if (this.#total <= this.#maxTotalBytes) break;
			this.#entries.delete(key);
			this.#total -= old.bytes.length;
		}
		return entry.bytes;
	}
}
