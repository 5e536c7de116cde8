/*
 * Update reports devices post after applying (or failing to apply) a release, appended one JSON
 * object per line to DIR/reports.jsonl. Appending keeps earlier reports intact whatever happens;
 * a line torn by a crash is skipped when the log is read back.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface UpdateReport {
	/** ISO time the cloud received the report. */
	time: string;
	/** Device id. */
	id: string;
	/** Release id the report is about. */
	update: string;
	success: boolean;
	reason?: string;
	/** The version the device runs after the attempt. */
	version?: string;
}

export interface ReportLog {
	append(report: UpdateReport): void;
	/** Every report, oldest first. */
	list(): UpdateReport[];
}

export class JsonlReportLog implements ReportLog {
	readonly #file: string;

	constructor(dataDir: string) {
		this.#file = join(dataDir, 'reports.jsonl');
	}

	append(report: UpdateReport): void {
		appendFileSync(this.#file, `${JSON.stringify(report)}\n`);
	}

	list(): UpdateReport[] {
		let text: string;
		try {
			text = readFileSync(this.#file, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
			throw error;
		}
		const reports: UpdateReport[] = [];
		for (const line of text.split('\n')) {
			if (line.trim() === '') continue;
			try {
				const value = JSON.parse(line) as UpdateReport;
				if (value && typeof value === 'object' && typeof value.id === 'string') reports.push(value);
			} catch {
				// A torn last line after a crash.
			}
		}
		return reports;
	}
}
