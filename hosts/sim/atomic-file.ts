/*
 * Replace a file so that a crash leaves either the old or the new content, never a mix:
 * write a temporary file beside it, flush it to disk, then rename over the target.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): void {
	const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
	const fd = fs.openSync(temp, 'w', mode);
	try {
		fs.writeSync(fd, data);
		fs.fsyncSync(fd);
	} finally {
		fs.closeSync(fd);
	}
	fs.renameSync(temp, file);
}
