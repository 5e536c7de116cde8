/*
 * TLS session resumption for simulated devices that share one process: the last session ticket
 * each server handed out, kept per host and port, so that the next connection to it resumes
 * instead of running a full handshake (certificate chain, server signature). A fleet of thousands
 * of devices opens tens of thousands of connections to one cloud; resumed, each costs a key
 * exchange only. A device's own TLS stack caches its session the same way; here one cache can
 * serve many devices, which only changes who pays for the first handshake.
 *
 * A resumed session skips the certificate check of the full handshake, so a cache must only be
 * shared between sockets that trust the same CAs (the session carries the verified chain).
 */

export interface TlsSessionCache {
	/** The session to resume with `host:port`, if one is known. */
	get(host: string, port: number): Buffer | undefined;
	/** Keep the latest session a server handed out. */
	set(host: string, port: number, session: Buffer): void;
	/** Sessions resumed so far (connections that offered one and had it accepted). */
	readonly resumed: number;
	/** Connections that completed a full handshake. */
	readonly full: number;
	/** Count a completed handshake; the network calls it. */
	count(resumed: boolean): void;
}

export function createTlsSessionCache(): TlsSessionCache {
	const sessions = new Map<string, Buffer>();
	let resumed = 0;
	let full = 0;
	const key = (host: string, port: number) => `${host}:${port}`;
	return {
		get: (host, port) => sessions.get(key(host, port)),
		set(host, port, session) {
			if (!Buffer.isBuffer(session) || session.length === 0) throw new TypeError('a TLS session must be non-empty bytes');
			sessions.set(key(host, port), session);
		},
		get resumed() {
			return resumed;
		},
		get full() {
			return full;
		},
		count(wasResumed) {
			if (wasResumed) resumed++;
			else full++;
		},
	};
}
