/*
 * Moddable's TLS client socket (modules/crypt/securesocket/securesocket.js), from
 * documentation/network/securesocket.md. The dictionary is the Socket's plus `secure` (and `sock`
 * to run TLS over a socket made by the caller). Its callback receives the Socket messages, after
 * the handshake: 1 once verified, 2 with up to 1024 decrypted bytes that must be read before the
 * callback returns, 3 with the room for plaintext, negative on failure (then it closes itself).
 */
declare module 'securesocket' {
	import type { SocketMessage, SocketOptions, WriteData } from 'socket';

	export interface SecureOptions {
		/** Lowest TLS version: 0x303 TLS 1.2, 0x302 TLS 1.1, 0x301 TLS 1.0. */
		protocolVersion?: number;
		/** The CA to verify the server's chain against, DER. */
		certificate?: ByteBuffer;
		/** Default true; false skips the chain and name checks (never in production). */
		verify?: boolean;
		trace?: boolean;
		tls_max_fragment_length?: number;
		applicationLayerProtocolNegotiation?: string | ArrayBuffer | (string | ArrayBuffer)[];
		clientKey?: ByteBuffer;
		clientCertificates?: ByteBuffer[];
		/** Overrides the name checked against the certificate (default: host). */
		tls_server_name?: string;
	}

	export interface SecureSocketOptions extends SocketOptions {
		secure?: SecureOptions;
		/** A connected or connecting socket to run TLS over, instead of a new Socket. */
		sock?: object;
	}

	export default class SecureSocket {
		constructor(dictionary: SecureSocketOptions);
		/** Decrypted bytes of the current message 2. */
		read(): number;
		read(type: typeof ArrayBuffer, until?: number | string): ArrayBuffer;
		read(type: typeof String, until?: number | string): string;
		/** Plaintext bytes that can be written now. */
		write(): number;
		/** Throws "can't write all data" unless all of it fits now (see write()). */
		write(...data: WriteData[]): void;
		close(): void;
		callback: (this: SecureSocket, message: SocketMessage, value?: number) => void;
	}
}
