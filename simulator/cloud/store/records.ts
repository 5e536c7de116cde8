/* What the cloud stores: the rows of its tables, as plain data. */

export interface ReleaseRecord {
	/** The cloud's id for the release; devices echo it in their update reports. */
	id: string;
	product: string;
	/** SemVer 2.0 of the firmware in the image. */
	version: string;
	description: string;
	/** Distribution policy ('' is the default: devices on an older version). */
	policy: string;
	/** Disabled releases are never offered. */
	enable: boolean;
	/** At most this many distinct devices are given the release (null: no limit). */
	limit: number | null;
	/** Only this percentage of devices (0-100) is admitted, chosen by a hash (null: all). */
	percentage: number | null;
	/** At most `rate` new devices per `period` seconds (both null: no rate limit). */
	rate: number | null;
	period: number | null;
	/** SHA-256 of the image, lowercase hex. */
	checksum: string;
	/** Image size in bytes. */
	size: number;
	/** ISO 8601 times. */
	created: string;
	updated: string;
	/** Why the cloud disabled the release on its own (auto-halt); null otherwise. */
	halted: string | null;
	/** Auto-halt only counts reports after this report sequence number (moved on every enable). */
	haltFrom: number;
	/** An older release published on purpose (a fleet-wide rollback): devices may take it. */
	downgrade: boolean;
	/** The release manifest signed by the publisher (exact text), and its signatures; null if unsigned. */
	manifest: string | null;
	signatures: ReleaseSignature[] | null;
}

/** One publisher signature of a release manifest (see modules/release-manifest.ts). */
export interface ReleaseSignature {
	keyid: string;
	sig: string;
}

/** A device given a release: its image URL token, when it was offered and when it started. */
export interface GrantRecord {
	release: string;
	device: string;
	/** 32 random hex digits in the device's image URL. */
	token: string;
	/** Milliseconds since the epoch. */
	offered: number;
	/** First image download; null until then. */
	started: number | null;
}

export interface DeviceRecord {
	id: string;
	product: string;
	/** The version the device said it runs at its latest check-in. */
	version: string;
	/** The whole check-in body. */
	properties: Record<string, unknown>;
	/** ISO time of the latest check-in. */
	lastCheckin: string;
	/** Release id offered at the latest check-in, null when none. */
	offered: string | null;
}

/**
 * A device's latest check-in as it is written: the properties stay JSON text (the body as
 * received), so nothing is serialized again and no object graph waits in memory for the write.
 */
export interface DeviceWrite extends Omit<DeviceRecord, 'properties'> {
	propertiesJson: string;
}

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

export interface StoredReport extends UpdateReport {
	/** Increasing number given by the store. */
	seq: number;
}

/** Check-in traffic per release, written in batches. */
export interface TrafficCounts {
	/** Check-ins that considered the release (it was enabled, and nothing newer was chosen). */
	requests: number;
	/** Check-in answers that offered it. */
	offered: number;
}
