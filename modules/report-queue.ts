/*
 * Update reports waiting for the cloud. Kept in the store until delivered, so a report made just
 * before a restart (a rollback, a confirmed trial) is sent after it. One report per release: a
 * newer outcome for the same release replaces the older one. At most MAX are kept (the oldest
 * go first), which bounds the store value well under its 4000-byte limit.
 */
import type { StorePort } from './ports';

/** Ioto's {id, update, success} plus Updraft's reason and running version. */
export interface UpdateReport {
	id: string;
	update: string;
	success: boolean;
	reason?: string;
	version: string;
}

const KEY = 'reports';
const MAX = 8;

export class ReportQueue {
	#store: StorePort;

	constructor(store: StorePort) {
		this.#store = store;
	}

	pending(): UpdateReport[] {
		try {
			const list = JSON.parse(this.#store.get(KEY) ?? '[]');
			return Array.isArray(list) ? list : [];
		} catch {
			return [];
		}
	}

	add(report: UpdateReport): void {
		const list = this.pending().filter((r) => r.update !== report.update);
		list.push(report);
		this.#store.set(KEY, JSON.stringify(list.slice(-MAX)));
	}

	/** Try to send every pending report, oldest first; stop at the first that must wait. */
	async deliver(send: (report: UpdateReport) => Promise<boolean>): Promise<void> {
		for (const report of this.pending()) {
			if (!(await send(report))) return;
			const rest = this.pending().filter((r) => !(r.update === report.update && r.success === report.success && r.reason === report.reason));
			if (rest.length) this.#store.set(KEY, JSON.stringify(rest));
			else this.#store.delete(KEY);
		}
	}
}
