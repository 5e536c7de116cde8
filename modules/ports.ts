/*
 * The ports the agent needs from its host.
 *
 * The agent is portable code for the XS engine: it reaches the outside world only through these
 * interfaces, which each host (ESP32 on Moddable modules, the Node simulator) implements. They
 * carry plain data only (Uint8Array/ArrayBuffer, strings, numbers, plain objects) and report
 * events through callbacks, so that every port can also be bridged into an XS worker by a generic
 * command channel. Shapes follow ECMA-419 where one exists (the socket's onReadable/onWritable/
 * onError, read/write/close) and Moddable's modules where not (Digest write/close, Timer ids).
 */

/** Bytes as the ports accept them. */
export type ByteSource = Uint8Array | ArrayBuffer;

/** Callbacks of a client socket; the host calls them, never synchronously from connect(). */
export interface SocketCallbacks {
	/** The TLS handshake completed and the peer certificate was verified. */
	onConnect?(): void;
	/** `count` bytes (at least) can be read now. */
	onReadable(count: number): void;
	/** The host can take `count` more bytes without buffering past its limit. */
	onWritable?(count: number): void;
	/** The peer will send nothing more; bytes already readable can still be read. */
	onEnd?(): void;
	/** The connection failed or broke (certificate refused, reset, timeout...). Final. */
	onError(message: string): void;
}

export interface SocketOptions extends SocketCallbacks {
	/** Host name used to connect, for SNI and for the certificate's name check. */
	host: string;
	port: number;
}

/**
 * A connected (or connecting) TLS client socket.
 * The host applies backpressure on reads: while the agent does not read, the host stops pulling
 * from the network once its small buffer is full, so memory stays bounded whatever the peer sends.
 */
export interface Socket {
	/** Take up to `maxBytes` (all buffered bytes if omitted); undefined when nothing is buffered. */
	read(maxBytes?: number): ArrayBuffer | undefined;
	/** Queue bytes for sending. Callers keep to the counts given by onWritable for large bodies. */
	write(bytes: ByteSource): void;
	/** Close the connection; idempotent. No callback fires after close(). */
	close(): void;
}

export interface NetworkPort {
	/** Open a TLS connection; the result is reported through the callbacks in `options`. */
	connect(options: SocketOptions): Socket;
}

/** The slot that is not running, opened to receive a new image. */
export interface SlotWriter {
	/** A name for logs and events ("ota_1", "slot1"). */
	readonly label: string;
	/** Capacity of the slot in bytes. */
	readonly size: number;
	/**
	 * The flash erase unit (4096 on ESP32). The first write into a unit erases it, so a resumed
	 * download restarts at a multiple of it: bytes kept below that point are never erased.
	 */
	readonly eraseSize: number;
	/** Write `bytes` at `offset` (erasing as the flash requires). Throws on a write past `size`. */
	write(bytes: ByteSource, offset: number): void;
	/** Read back `byteLength` bytes at `offset`, to rebuild a digest after a restart. */
	read(offset: number, byteLength: number): ArrayBuffer;
	/**
	 * Make this slot the one that boots next. Only ever called on a verified image. A platform that
	 * installs through a script (Ioto's scripts/update on Unix-like devices) says what should happen
	 * next: 'restart' (the default), 'exit' (stop the agent's process) or 'continue' (keep running;
	 * the new version runs from the next start).
	 */
	activate(): void | 'restart' | 'exit' | 'continue';
	/** Release the slot without activating it; idempotent. */
	close(): void;
}

/**
 * Whether the running slot has been confirmed. After an activation the new slot boots once in
 * 'trial' (ESP-IDF's ESP_OTA_IMG_PENDING_VERIFY); a reset before confirm() makes the bootloader
 * return to the previous slot. Everything else runs 'confirmed'.
 */
export type RunningState = 'trial' | 'confirmed';

export interface FlashPort {
	/**
	 * Open the inactive slot for an image of `byteLength` bytes, keeping the first `keep` bytes
	 * already written there (a resumed download; `keep` is a multiple of eraseSize, default 0).
	 * Throws RangeError when the image cannot fit, before anything is erased.
	 */
	openInactive(byteLength: number, keep?: number): SlotWriter;
	/** The state of the slot that is running now. */
	runningState(): RunningState;
	/** Keep the running trial slot for good (esp_ota_mark_app_valid_cancel_rollback). */
	confirm(): void;
	/**
	 * Give up the running trial slot: the previous slot boots next
	 * (esp_ota_mark_app_invalid_rollback_and_reboot, without the reboot: the agent restarts).
	 */
	rollback(): void;
}

/** An incremental SHA-256, shaped like Moddable's crypt Digest. */
export interface Digest {
	write(bytes: ByteSource): void;
	/** The final digest (32 bytes for SHA-256); the digest cannot be written after close(). */
	close(): ArrayBuffer;
}

export interface DigestPort {
	create(algorithm: 'SHA256'): Digest;
}

/**
 * Persistent key/value storage that survives restarts and power loss (each set() is atomic).
 * Keys are at most 15 characters and values at most 4000 bytes, the limits of Moddable's
 * preference module on ESP32.
 */
/** ECDSA P-256 with SHA-256, the curve and hash Moddable's crypt can verify on a device. */
export interface SignaturePort {
	/**
	 * True when `signature` (64 bytes, r || s) is a valid signature of `message` by `publicKey`
	 * (65 bytes, the uncompressed point 0x04 || X || Y). The port hashes `message` itself.
	 * Malformed keys or signatures give false, never an exception.
	 */
	verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export interface StorePort {
	get(key: string): string | undefined;
	set(key: string, value: string): void;
	delete(key: string): void;
}

export interface ClockPort {
	/** Milliseconds since the epoch (device time; needed for certificate dates too). */
	now(): number;
	/** Call `callback` once after `ms` milliseconds; returns an id for clearTimer. */
	setTimer(callback: () => void, ms: number): number;
	clearTimer(id: number): void;
}

export interface SystemPort {
	/** SemVer of the firmware that is running now. */
	version(): string;
	/** Restart the device into whichever slot is set to boot. May return (simulators do). */
	restart(): void;
	/** Stop gracefully (Ioto's `exit` from an update script); platforms without it restart. */
	stop?(): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogPort {
	log(level: LogLevel, message: string): void;
}

/** Everything a host gives the agent. */
export interface Ports {
	network: NetworkPort;
	flash: FlashPort;
	digest: DigestPort;
	/** Checks release signatures; a host without it can only take unsigned releases. */
	signature?: SignaturePort;
	store: StorePort;
	clock: ClockPort;
	system: SystemPort;
	log?: LogPort;
}
