/*
 * The embedded store: one SQLite database, DIR/cloud.db, through better-sqlite3.
 *
 * WAL journal with synchronous=NORMAL: a committed transaction survives a crash of the cloud
 * (the process); after a power cut the last few commits may be lost, but the database is never
 * damaged. Every write is one transaction, so a crash leaves it either done or not done.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { CloudError } from '../errors';
import type { DeviceRecord, DeviceWrite, GrantRecord, ReleaseRecord, StoredReport, TrafficCounts, UpdateReport } from './records';
import { SCHEMA, SCHEMA_VERSION } from './schema';
import type { CloudStore, ReportQuery } from './store';

interface ReleaseRow {
	id: string;
	product: string;
	version: string;
	description: string;
	policy: string;
	enable: number;
	max_devices: number | null;
	percentage: number | null;
	rate: number | null;
	period: number | null;
	checksum: string;
	size: number;
	created: string;
	updated: string;
	halted: string | null;
	halt_from: number;
	downgrade: number;
	manifest: string | null;
	signatures: string | null;
}

interface ReportRow {
	seq: number;
	time: string;
	device_id: string;
	release_id: string;
	success: number;
	reason: string | null;
	version: string | null;
}

interface DeviceRow {
	id: string;
	product: string;
	version: string;
	properties: string;
	last_checkin: string;
	offered: string | null;
}

export const DATABASE_FILE = 'cloud.db';

function precedence(version: string): string {
	const plus = version.indexOf('+');
	return plus < 0 ? version : version.slice(0, plus);
}

function releaseFromRow(row: ReleaseRow): ReleaseRecord {
	return {
		id: row.id,
		product: row.product,
		version: row.version,
		description: row.description,
		policy: row.policy,
		enable: row.enable === 1,
		limit: row.max_devices,
		percentage: row.percentage,
		rate: row.rate,
		period: row.period,
		checksum: row.checksum,
		size: row.size,
		created: row.created,
		updated: row.updated,
		halted: row.halted,
		haltFrom: row.halt_from,
		downgrade: row.downgrade === 1,
		manifest: row.manifest,
		signatures: row.signatures === null ? null : JSON.parse(row.signatures),
	};
}

function releaseParameters(r: ReleaseRecord): unknown[] {
	return [r.product, r.version, precedence(r.version), r.description, r.policy, r.enable ? 1 : 0, r.limit, r.percentage,
		r.rate, r.period, r.checksum, r.size, r.created, r.updated, r.halted, r.haltFrom, r.downgrade ? 1 : 0, r.manifest,
		r.signatures === null ? null : JSON.stringify(r.signatures), r.id];
}

function reportFromRow(row: ReportRow): StoredReport {
	const report: StoredReport = { seq: row.seq, time: row.time, id: row.device_id, update: row.release_id, success: row.success === 1 };
	if (row.reason !== null) report.reason = row.reason;
	if (row.version !== null) report.version = row.version;
	return report;
}

function deviceFromRow(row: DeviceRow): DeviceRecord {
	return {
		id: row.id,
		product: row.product,
		version: row.version,
		properties: JSON.parse(row.properties) as Record<string, unknown>,
		lastCheckin: row.last_checkin,
		offered: row.offered,
	};
}

export class SqliteStore implements CloudStore {
	readonly #db: Database.Database;
	readonly #statements;
	#closed = false;

	constructor(dataDir: string) {
		const file = join(dataDir, DATABASE_FILE);
		try {
			this.#db = new Database(file);
			this.#db.pragma('journal_mode = WAL');
			this.#db.pragma('synchronous = NORMAL');
			this.#db.pragma('foreign_keys = ON');
			this.#db.pragma('busy_timeout = 5000');
			this.#migrate();
		} catch (error) {
			throw new Error(`cannot open the cloud database ${file}: ${(error as Error).message}`);
		}
		const db = this.#db;
		this.#statements = {
			releases: db.prepare('SELECT * FROM releases ORDER BY created, id'),
			insertRelease: db.prepare(`INSERT INTO releases (product, version, precedence, description, policy, enable, max_devices,
				percentage, rate, period, checksum, size, created, updated, halted, halt_from, downgrade, manifest, signatures, id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			updateRelease: db.prepare(`UPDATE releases SET product = ?, version = ?, precedence = ?, description = ?, policy = ?,
				enable = ?, max_devices = ?, percentage = ?, rate = ?, period = ?, checksum = ?, size = ?, created = ?, updated = ?,
				halted = ?, halt_from = ?, downgrade = ?, manifest = ?, signatures = ? WHERE id = ?`),
			sameVersion: db.prepare('SELECT id, version FROM releases WHERE product = ? AND precedence = ?'),
			deleteRelease: db.prepare('DELETE FROM releases WHERE id = ?'),
			grants: db.prepare('SELECT release_id AS release, device_id AS device, token, offered, started FROM grants'),
			insertGrant: db.prepare('INSERT INTO grants (release_id, device_id, token, offered, started) VALUES (?, ?, ?, ?, ?)'),
			markStarted: db.prepare('UPDATE grants SET started = ? WHERE release_id = ? AND device_id = ? AND started IS NULL'),
			saveDevice: db.prepare(`INSERT INTO devices (id, product, version, properties, last_checkin, offered) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET product = excluded.product, version = excluded.version, properties = excluded.properties,
				last_checkin = excluded.last_checkin, offered = excluded.offered`),
			device: db.prepare('SELECT * FROM devices WHERE id = ?'),
			devices: db.prepare('SELECT * FROM devices ORDER BY id'),
			devicesOf: db.prepare('SELECT * FROM devices WHERE product = ? ORDER BY id'),
			deviceTokens: db.prepare('SELECT device_id AS device, token_hash AS hash FROM device_tokens'),
			setDeviceToken: db.prepare(`INSERT INTO device_tokens (device_id, token_hash, created) VALUES (?, ?, ?)
				ON CONFLICT (device_id) DO UPDATE SET token_hash = excluded.token_hash, created = excluded.created`),
			deleteDeviceToken: db.prepare('DELETE FROM device_tokens WHERE device_id = ?'),
			appendReport: db.prepare('INSERT INTO reports (time, device_id, release_id, success, reason, version) VALUES (?, ?, ?, ?, ?, ?)'),
			reportTotals: db.prepare(`SELECT release_id AS release, SUM(success) AS success, SUM(1 - success) AS failure
				FROM reports GROUP BY release_id`),
			traffic: db.prepare('SELECT release_id, requests, offered FROM traffic'),
			addTraffic: db.prepare(`INSERT INTO traffic (release_id, requests, offered) SELECT id, ?, ? FROM releases WHERE id = ?
				ON CONFLICT (release_id) DO UPDATE SET requests = requests + excluded.requests, offered = offered + excluded.offered`),
		};
	}

	#migrate(): void {
		const hasMeta = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
		if (!hasMeta) {
			this.#db.transaction(() => {
				this.#db.exec(SCHEMA);
				this.#db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
			})();
			return;
		}
		const row = this.#db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
		if (row?.value !== String(SCHEMA_VERSION)) {
			throw new Error(`the database has schema version ${row?.value ?? 'unknown'}; this cloud understands ${SCHEMA_VERSION}`);
		}
	}

	#check(): void {
		if (this.#closed) throw new Error('the cloud store is closed');
	}

	async listReleases(): Promise<ReleaseRecord[]> {
		this.#check();
		return (this.#statements.releases.all() as ReleaseRow[]).map(releaseFromRow);
	}

	async insertRelease(release: ReleaseRecord): Promise<void> {
		this.#check();
		const same = this.#statements.sameVersion.get(release.product, precedence(release.version)) as { id: string; version: string } | undefined;
		if (same) {
			throw new CloudError(409, 'duplicate-version', `product ${release.product} already has release ${same.version} (id ${same.id})`);
		}
		this.#statements.insertRelease.run(...releaseParameters(release));
	}

	async updateRelease(release: ReleaseRecord): Promise<void> {
		this.#check();
		this.#statements.updateRelease.run(...releaseParameters(release));
	}

	async deleteRelease(id: string): Promise<void> {
		this.#check();
		this.#statements.deleteRelease.run(id);
	}

	async listGrants(): Promise<GrantRecord[]> {
		this.#check();
		return this.#statements.grants.all() as GrantRecord[];
	}

	async insertGrant(grant: GrantRecord): Promise<void> {
		this.#check();
		this.#statements.insertGrant.run(grant.release, grant.device, grant.token, grant.offered, grant.started);
	}

	async markStarted(release: string, device: string, time: number): Promise<void> {
		this.#check();
		this.#statements.markStarted.run(time, release, device);
	}

	async saveDevices(devices: readonly DeviceWrite[]): Promise<void> {
		this.#check();
		const save = this.#statements.saveDevice;
		this.#db.transaction(() => {
			for (const d of devices) save.run(d.id, d.product, d.version, d.propertiesJson, d.lastCheckin, d.offered);
		})();
	}

	async getDevice(id: string): Promise<DeviceRecord | undefined> {
		this.#check();
		const row = this.#statements.device.get(id) as DeviceRow | undefined;
		return row && deviceFromRow(row);
	}

	async listDevices(product?: string): Promise<DeviceRecord[]> {
		this.#check();
		const rows = (product === undefined ? this.#statements.devices.all() : this.#statements.devicesOf.all(product)) as DeviceRow[];
		return rows.map(deviceFromRow);
	}

	async listDeviceTokens(): Promise<{ device: string; hash: string }[]> {
		this.#check();
		return this.#statements.deviceTokens.all() as { device: string; hash: string }[];
	}

	async setDeviceToken(device: string, hash: string, created: string): Promise<void> {
		this.#check();
		this.#statements.setDeviceToken.run(device, hash, created);
	}

	async deleteDeviceToken(device: string): Promise<boolean> {
		this.#check();
		return this.#statements.deleteDeviceToken.run(device).changes > 0;
	}

	async appendReport(report: UpdateReport): Promise<StoredReport> {
		this.#check();
		const result = this.#statements.appendReport.run(report.time, report.id, report.update, report.success ? 1 : 0,
			report.reason ?? null, report.version ?? null);
		return { ...report, seq: Number(result.lastInsertRowid) };
	}

	async listReports(query: ReportQuery = {}): Promise<StoredReport[]> {
		this.#check();
		const where: string[] = [];
		const parameters: unknown[] = [];
		if (query.release !== undefined) {
			where.push('release_id = ?');
			parameters.push(query.release);
		}
		if (query.device !== undefined) {
			where.push('device_id = ?');
			parameters.push(query.device);
		}
		if (query.after !== undefined) {
			where.push('seq > ?');
			parameters.push(query.after);
		}
		let sql = `SELECT * FROM reports${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
		if (query.limit !== undefined) {
			sql += ' ORDER BY seq DESC LIMIT ?';
			parameters.push(query.limit);
		} else {
			sql += ' ORDER BY seq';
		}
		return (this.#db.prepare(sql).all(...parameters) as ReportRow[]).map(reportFromRow);
	}

	async reportTotals(): Promise<{ release: string; success: number; failure: number }[]> {
		this.#check();
		return this.#statements.reportTotals.all() as { release: string; success: number; failure: number }[];
	}

	async listTraffic(): Promise<Map<string, TrafficCounts>> {
		this.#check();
		const rows = this.#statements.traffic.all() as { release_id: string; requests: number; offered: number }[];
		return new Map(rows.map((row) => [row.release_id, { requests: row.requests, offered: row.offered }]));
	}

	async addTraffic(deltas: ReadonlyMap<string, TrafficCounts>): Promise<void> {
		this.#check();
		const add = this.#statements.addTraffic;
		this.#db.transaction(() => {
			for (const [release, delta] of deltas) add.run(delta.requests, delta.offered, release);
		})();
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#db.close();
	}
}
