/*
 * Whole-file replacement that a crash cannot leave half-written: the bytes go to a temporary file
 * in the same directory (so the rename stays on one file system), are flushed, then renamed over
 * the target. Readers see either the old file or the new one.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** A temporary path next to `path`, unique per call. */
export function temporaryPathFor(path: string): string {
	return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
	const temporary = temporaryPathFor(path);
	try {
		const fd = openSync(temporary, 'wx', mode);
		try {
			const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
			let offset = 0;
			while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
			fsyncSync(fd);
		} finally {
			closeSync(fd);
		}
		renameSync(temporary, path);
	} catch (error) {
		rmSync(temporary, { force: true });
		throw error;
	}
}

export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
	writeFileAtomic(path, `${JSON.stringify(value, null, '\t')}\n`, mode);
}
