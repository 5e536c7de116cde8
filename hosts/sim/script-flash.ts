/*
 * The flash port of a Unix-like device, as Ioto installs there: the image is downloaded to a
 * file (Ioto's @state/update.bin), and activation runs the configured update script with that
 * file's path (no shell), honouring its output: exactly "exit" stops the agent's process,
 * exactly "restart" restarts it, anything else keeps it running. A non-zero exit status is a
 * failed installation and nothing changes. Such a device has no trial boot: what the script
 * installed is what runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { FlashPort, SlotWriter, ByteSource } from '../../modules/ports';

export interface ScriptFlashOptions {
	/** Where the image is written (Ioto: @state/update.bin). */
	imagePath: string;
	/** The update script (Ioto: scripts.update in ioto.json5). */
	script: string;
	/** Largest image accepted, bytes. */
	maxSize: number;
	/** Milliseconds the script may run. */
	timeout?: number;
}

const ERASE_SIZE = 4096;
const MAX_OUTPUT = 1024 * 1024;

export function createScriptFlash(options: ScriptFlashOptions): FlashPort {
	return {
		openInactive(byteLength, keep = 0) {
			if (!Number.isSafeInteger(byteLength) || byteLength <= 0) throw new RangeError(`invalid image length ${byteLength}`);
			if (byteLength > options.maxSize) throw new RangeError(`image of ${byteLength} bytes is over the ${options.maxSize}-byte limit`);
			if (keep % ERASE_SIZE !== 0 || keep > byteLength) throw new RangeError(`cannot keep ${keep} bytes`);
			return new ScriptSlot(options, byteLength, keep);
		},
		runningState: () => 'confirmed',
		confirm() {},
		rollback() {
			throw new Error('a script-installed device keeps no previous firmware to roll back to');
		},
	};
}

class ScriptSlot implements SlotWriter {
	readonly label = 'update.bin';
	readonly size: number;
	readonly eraseSize = ERASE_SIZE;
	#options: ScriptFlashOptions;
	#fd: number | undefined;

	constructor(options: ScriptFlashOptions, byteLength: number, keep: number) {
		this.#options = options;
		this.size = byteLength;
		fs.mkdirSync(path.dirname(options.imagePath), { recursive: true });
		// A file has no erase: bytes past `keep` are simply overwritten, and activate() trims the
		// file to the image length.
		const exists = fs.existsSync(options.imagePath);
		this.#fd = fs.openSync(options.imagePath, exists ? 'r+' : 'w+', 0o600);
		if (keep === 0 && exists && fs.fstatSync(this.#fd).size > byteLength) fs.ftruncateSync(this.#fd, byteLength);
	}

	write(bytes: ByteSource, offset: number): void {
		const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
		if (offset < 0 || offset + view.byteLength > this.size) throw new RangeError(`write of ${view.byteLength} bytes at ${offset} is outside the ${this.size}-byte image`);
		fs.writeSync(this.#open(), view, 0, view.byteLength, offset);
	}

	read(offset: number, byteLength: number): ArrayBuffer {
		const out = new Uint8Array(byteLength);
		const n = fs.readSync(this.#open(), out, 0, byteLength, offset);
		return out.buffer.slice(0, n);
	}

	activate(): 'restart' | 'exit' | 'continue' {
		fs.ftruncateSync(this.#open(), this.size);
		fs.fsyncSync(this.#open());
		let output: string;
		try {
			output = execFileSync(this.#options.script, [this.#options.imagePath], {
				encoding: 'utf8', maxBuffer: MAX_OUTPUT, timeout: this.#options.timeout ?? 60_000, stdio: ['ignore', 'pipe', 'pipe'],
			});
		} catch (error) {
			const e = error as { status?: number; stderr?: string; message: string };
			throw new Error(`update script failed${e.status !== undefined ? ` (exit ${e.status})` : ''}: ${(e.stderr || e.message).trim().slice(0, 300)}`);
		}
		this.close();
		fs.rmSync(this.#options.imagePath, { force: true });
		if (output === 'exit\n') return 'exit';
		if (output === 'restart\n') return 'restart';
		return 'continue';
	}

	close(): void {
		if (this.#fd === undefined) return;
		fs.closeSync(this.#fd);
		this.#fd = undefined;
	}

	#open(): number {
		if (this.#fd === undefined) throw new Error('update.bin is closed');
		return this.#fd;
	}
}
