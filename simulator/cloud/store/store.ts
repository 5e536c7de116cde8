/*
 * Where the cloud keeps its state. The routes never touch a database directly, only this
 * interface, so that the embedded SQLite store (sqlite-store.ts) can be replaced by a server
 * database. Every method returns a promise for that reason, although SQLite answers at once.
 *
 * The cloud loads releases, grants, tokens and counters at start and serves check-ins from
 * memory; the store sees writes, and the reads of things too large to hold (devices, reports).
 */
import type { DeviceRecord, DeviceWrite, GrantRecord, ReleaseRecord, StoredReport, TrafficCounts, UpdateReport } from './records';

export interface ReportQuery {
	release?: string;
	device?: string;
	/** Only reports with a larger sequence number. */
	after?: number;
	/** Newest first when given, at most this many; oldest first without it. */
	limit?: number;
}

export interface CloudStore {
	listReleases(): Promise<ReleaseRecord[]>;
	/** Throws a 409 CloudError when the product already has a release of equal precedence. */
	insertRelease(release: ReleaseRecord): Promise<void>;
	updateRelease(release: ReleaseRecord): Promise<void>;
	/** Removes the release with its grants and traffic counts; reports are kept. */
	deleteRelease(id: string): Promise<void>;

	listGrants(): Promise<GrantRecord[]>;
	insertGrant(grant: GrantRecord): Promise<void>;
	markStarted(release: string, device: string, time: number): Promise<void>;

	/** Insert or replace, all in one transaction. */
	saveDevices(devices: readonly DeviceWrite[]): Promise<void>;
	getDevice(id: string): Promise<DeviceRecord | undefined>;
	listDevices(product?: string): Promise<DeviceRecord[]>;

	/** Device id and SHA-256 (hex) of its token. */
	listDeviceTokens(): Promise<{ device: string; hash: string }[]>;
	setDeviceToken(device: string, hash: string, created: string): Promise<void>;
	deleteDeviceToken(device: string): Promise<boolean>;

	appendReport(report: UpdateReport): Promise<StoredReport>;
	listReports(query?: ReportQuery): Promise<StoredReport[]>;
	/** Success and failure totals per release. */
	reportTotals(): Promise<{ release: string; success: number; failure: number }[]>;

	listTraffic(): Promise<Map<string, TrafficCounts>>;
	/** Adds the counts to the stored ones. */
	addTraffic(deltas: ReadonlyMap<string, TrafficCounts>): Promise<void>;

	close(): Promise<void>;
}
