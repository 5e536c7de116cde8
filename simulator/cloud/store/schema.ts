/*
 * The SQLite schema, versioned in the meta table. Versions without build metadata are stored as
 * `precedence`, so that the database itself refuses two releases a device could not tell apart
 * (1.0.0+a and 1.0.0+b).
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE meta (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE releases (
	id TEXT PRIMARY KEY,
	product TEXT NOT NULL,
	version TEXT NOT NULL,
	precedence TEXT NOT NULL,
	description TEXT NOT NULL,
	policy TEXT NOT NULL,
	enable INTEGER NOT NULL,
	max_devices INTEGER,
	percentage REAL,
	rate INTEGER,
	period INTEGER,
	checksum TEXT NOT NULL,
	size INTEGER NOT NULL,
	created TEXT NOT NULL,
	updated TEXT NOT NULL,
	halted TEXT,
	halt_from INTEGER NOT NULL DEFAULT 0,
	downgrade INTEGER NOT NULL DEFAULT 0,
	manifest TEXT,
	signatures TEXT,
	UNIQUE (product, precedence)
) STRICT;

CREATE TABLE grants (
	release_id TEXT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
	device_id TEXT NOT NULL,
	token TEXT NOT NULL UNIQUE,
	offered INTEGER NOT NULL,
	started INTEGER,
	PRIMARY KEY (release_id, device_id)
) STRICT;

CREATE TABLE traffic (
	release_id TEXT PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
	requests INTEGER NOT NULL DEFAULT 0,
	offered INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE devices (
	id TEXT PRIMARY KEY,
	product TEXT NOT NULL,
	version TEXT NOT NULL,
	properties TEXT NOT NULL,
	last_checkin TEXT NOT NULL,
	offered TEXT
) STRICT;
CREATE INDEX devices_product ON devices (product);

CREATE TABLE device_tokens (
	device_id TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	created TEXT NOT NULL
) STRICT;

CREATE TABLE reports (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	time TEXT NOT NULL,
	device_id TEXT NOT NULL,
	release_id TEXT NOT NULL,
	success INTEGER NOT NULL,
	reason TEXT,
	version TEXT
) STRICT;
CREATE INDEX reports_release ON reports (release_id, seq);
CREATE INDEX reports_device ON reports (device_id, seq);
`;
