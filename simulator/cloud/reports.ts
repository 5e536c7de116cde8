/*
 * Update reports are stored in the cloud's database; every report is also appended, one JSON
 * object per line, to DIR/reports.jsonl: a log an operator can `tail -f` or ship elsewhere.
 * Appending keeps earlier lines intact whatever happens; the database is the record, and a
 * line lost to a crash between the two writes is only missing from the log.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UpdateReport } from './store/records';

export const REPORT_LOG_FILE = 'reports.jsonl';

export class ReportLogFile {
	readonly #file: string;
	readonly #log: (line: string) => void;

	constructor(dataDir: string, log: (line: string) => void = () => {}) {
		this.#file = join(dataDir, REPORT_LOG_FILE);
		this.#log = log;
	}

	append(report: UpdateReport): void {
		try {
			appendFileSync(this.#file, `${JSON.stringify(report)}\n`);
		} catch (error) {
			this.#log(`cannot append to ${this.#file}: ${(error as Error).message}`);
		}
	}
}
