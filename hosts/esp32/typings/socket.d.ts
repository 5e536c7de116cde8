/*
 * Moddable's TCP/UDP socket (modules/network/socket/socket.js), from
 * documentation/network/network.md § class Socket, § class Listener. Messages: -2 error,
 * -1 disconnected, 1 connected, 2 bytes received (value: count), 3 bytes sent (value: room).
 */
declare module 'socket' {
	export type SocketMessage = -2 | -1 | 1 | 2 | 3;
	export type WriteData = number | string | ByteBuffer;

	export interface SocketOptions {
		host?: string;
		address?: string;
		port?: number;
		kind?: 'TCP' | 'UDP' | 'RAW';
		/** RAW sockets: the IP protocol number. */
		protocol?: number;
		/** TCP: disable Nagle's algorithm. */
		noDelay?: boolean;
		/** TCP keepalive; times in milliseconds. */
		keepalive?: { idle: number; interval: number; count: number };
		/** Accept the pending connection of a Listener. */
		listener?: Listener;
	}

	export class Socket {
		constructor(dictionary: SocketOptions);
		/** Bytes readable now (inside a message 2 callback). */
		read(): number;
		read(type: typeof ArrayBuffer, until?: number | string): ArrayBuffer;
		read(type: typeof String, until?: number | string): string;
		read(type: typeof Number): number;
		/** Skip bytes; returns how many were skipped. */
		read(type: null, until?: number | string): number;
		/** Bytes the socket can take now. */
		write(): number;
		/** TCP: send all of the data, or none of it when it does not fit (see write()). */
		write(...data: WriteData[]): void;
		close(): void;
		get(what: 'REMOTE_IP'): string | undefined;
		suspend(suspend?: boolean): void;
		callback: (this: Socket, message: SocketMessage, value?: number, address?: string, port?: number) => void;
		static readonly connected: 1;
		static readonly readable: 2;
		static readonly writable: 3;
		static readonly error: -2;
		static readonly disconnected: -1;
	}

	export class Listener {
		constructor(dictionary: { port?: number; address?: string });
		close(): void;
		callback: (this: Listener) => void;
	}

	const socket: { Socket: typeof Socket; Listener: typeof Listener };
	export default socket;
}
