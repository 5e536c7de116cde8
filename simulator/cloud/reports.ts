/*
 * Update reports are stored in the cloud's database; every report is also appended, one JSON
 * object per line, to DIR/reports.jsonl: a log an operator can `tail -f` or ship elsewhere.
 * Appending keeps earlier lines intact whatever happens; the database is the record, and a
 * line lost to a crash between the two writes is only missing from the log.
 *
 * The file stays open in append mode (one write per report, not an open and a close too): a
 * fleet sends thousands of reports a minute. If the file is moved away (rotated), a report
 * a second later at most notices and starts a new one under the same name.
 */
import { closeSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { UpdateReport } from './store/records';

export const REPORT_LOG_FILE = 'reports.jsonl';

export class ReportLogFile {
	readonly #file: string;
	readonly #log: (line: string) => void;
	#fd: number | undefined;
	#inode = 0;
	#checked = 0;
	readonly #now: () => number;

	constructor(dataDir: string, log: (line: string) => void = () => {}, now: () => number = Date.now) {
		this.#file = join(dataDir, REPORT_LOG_FILE);
		this.#log = log;
		this.#now = now;
	}

	append(report: UpdateReport): void {
		try {
			writeSync(this.#open(), `${JSON.stringify(report)}\n`);
		} catch (error) {
			this.#log(`cannot append to ${this.#file}: ${(error as Error).message}`);
			this.close();
		}
	}

	close(): void {
		if (this.#fd === undefined) return;
		try {
			closeSync(this.#fd);
		} finally {
			this.#fd = undefined;
		}
	}

	/** The open log, reopened when the name no longer leads to it. */
	#open(): number {
		if (this.#fd !== undefined) {
			const now = this.#now();
			if (now - this.#checked < 1000) return this.#fd;
			this.#checked = now;
			if (this.#still()) return this.#fd;
		}
		this.close();
		this.#fd = openSync(this.#file, 'a');
		this.#inode = fstatSync(this.#fd).ino;
		this.#checked = this.#now();
		return this.#fd;
	}

	#still(): boolean {
		try {
			return statSync(this.#file).ino === this.#inode;
		} catch {
			return false;
		}
	}
}
