/*
 * Release images, content-addressed: DIR/images/<sha256>.bin. An upload streams into a temporary
 * file while it is hashed, is flushed to disk, and only then renamed to its checksum's name; the
 * release that refers to it is recorded after that. A crash at any point leaves at worst a
 * temporary file or an image no release refers to, and sweep() removes both at the next start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CloudError, badRequest } from '../errors';

const CHECKSUM = /^[0-9a-f]{64}$/;
const IMAGE_FILE = /^([0-9a-f]{64})\.bin$/;

/** An image received in full and flushed, not yet in place. */
export interface ReceivedImage {
	checksum: string;
	size: number;
	/** Move it to its content address (a no-op when the same bytes are already there). */
	commit(): void;
	/** Remove the temporary file (after a refused release). */
	discard(): void;
}

export class ImageFolder {
	readonly dir: string;

	constructor(dataDir: string) {
		this.dir = join(dataDir, 'images');
		mkdirSync(this.dir, { recursive: true });
	}

	/** Where the image with this checksum lives. */
	path(checksum: string): string {
		if (!CHECKSUM.test(checksum)) throw new Error(`not a SHA-256 checksum: ${JSON.stringify(checksum).slice(0, 80)}`);
		return join(this.dir, `${checksum}.bin`);
	}

	/** Store bytes already in memory. */
	write(bytes: Uint8Array): ReceivedImage {
		const temporary = this.#temporaryPath();
		const fd = openSync(temporary, 'wx', 0o644);
		try {
			let offset = 0;
			while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
			fsyncSync(fd);
		} catch (error) {
			closeSync(fd);
			rmSync(temporary, { force: true });
			throw error;
		}
		closeSync(fd);
		return this.#received(temporary, createHash('sha256').update(bytes).digest('hex'), bytes.length);
	}

	/** Stream a request body to disk, refusing it (413) past `maxBytes` and when it is empty (400). */
	async receive(stream: Readable, maxBytes: number): Promise<ReceivedImage> {
		const temporary = this.#temporaryPath();
		const fd = openSync(temporary, 'wx', 0o644);
		const hash = createHash('sha256');
		let size = 0;
		try {
			for await (const chunk of stream) {
				const bytes = chunk as Buffer;
				size += bytes.length;
				if (size > maxBytes) throw new CloudError(413, 'too-large', `the image is larger than ${maxBytes} bytes`);
				hash.update(bytes);
				let offset = 0;
				while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
			}
			if (size === 0) throw badRequest('the image is empty');
			fsyncSync(fd);
		} catch (error) {
			closeSync(fd);
			rmSync(temporary, { force: true });
			if (error instanceof CloudError) throw error;
			throw badRequest(`the image was not received completely: ${(error as Error).message}`);
		}
		closeSync(fd);
		return this.#received(temporary, hash.digest('hex'), size);
	}

	/** Remove an image no release refers to any more. */
	remove(checksum: string): void {
		rmSync(this.path(checksum), { force: true });
	}

	/** Remove temporary files and images that are not in `referenced`; returns what was removed. */
	sweep(referenced: ReadonlySet<string>): string[] {
		const removed: string[] = [];
		for (const name of readdirSync(this.dir)) {
			const match = IMAGE_FILE.exec(name);
			if (match && referenced.has(match[1]!)) continue;
			if (match || (name.startsWith('.') && name.endsWith('.tmp'))) {
				rmSync(join(this.dir, name), { force: true });
				removed.push(name);
			}
		}
		return removed;
	}

	#temporaryPath(): string {
		return join(this.dir, `.upload.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
	}

	#received(temporary: string, checksum: string, size: number): ReceivedImage {
		const target = this.path(checksum);
		return {
			checksum,
			size,
			commit: () => {
				// Same content, same name: an existing file already holds exactly these bytes.
				if (existsSync(target)) rmSync(temporary, { force: true });
				else renameSync(temporary, target);
			},
			discard: () => rmSync(temporary, { force: true }),
		};
	}
}
