/*
 * A flash port whose inactive slot is a plain file, kept open while the agent writes into it:
 * the destination of the pipeline benchmark, the same kind of sink as curl's `> file`. No NOR
 * rules, no otadata: what is measured is the agent's own path from socket to slot.
 */
import { closeSync, openSync, readSync, writeSync, existsSync, statSync } from 'node:fs';
import type { ByteSource, FlashPort, SlotWriter } from '../modules/ports';

export function fileSlotFlash(path: string, slotSize: number, eraseSize = 4096): FlashPort & { activated: boolean } {
	if (!existsSync(path) || statSync(path).size !== slotSize) {
		const fd = openSync(path, 'w');
		const erased = new Uint8Array(1 << 20).fill(0xff);
		for (let at = 0; at < slotSize; at += erased.length) writeSync(fd, erased, 0, Math.min(erased.length, slotSize - at), at);
		closeSync(fd);
	}
	const port = {
		activated: false,
		openInactive(byteLength: number, keep = 0): SlotWriter {
			if (!Number.isSafeInteger(byteLength) || byteLength <= 0 || byteLength > slotSize) throw new RangeError(`image of ${byteLength} bytes does not fit the ${slotSize}-byte slot`);
			if (keep !== 0 && keep % eraseSize !== 0) throw new RangeError(`keep must be a multiple of ${eraseSize}`);
			// Opening a slot afresh starts an empty file, as erasing would; a resume keeps it.
			const fd = openSync(path, 'r+');
			let closed = false;
			const open = (what: string) => {
				if (closed) throw new Error(`cannot ${what} the file slot: it is closed`);
			};
			return {
				label: 'file-slot',
				size: slotSize,
				eraseSize,
				write(source: ByteSource, offset: number) {
					open('write to');
					const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
					if (offset < keep || offset + bytes.length > byteLength) throw new RangeError(`write of ${bytes.length} bytes at ${offset} is outside the image`);
					let done = 0;
					while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
				},
				read(offset: number, length: number) {
					open('read from');
					const out = new Uint8Array(length);
					let done = 0;
					while (done < length) {
						const n = readSync(fd, out, done, length - done, offset + done);
						if (n === 0) break;
						done += n;
					}
					return out.buffer;
				},
				activate() {
					open('activate');
					port.activated = true;
				},
				close() {
					if (closed) return;
					closed = true;
					closeSync(fd);
				},
			};
		},
		runningState: () => 'confirmed' as const,
		confirm() {},
		rollback() {
			throw new Error('the file slot has nothing to roll back to');
		},
	};
	return port;
}
