/*
 * The benchmark's baseline inside XS: the least a program can do to move an image from the
 * socket into the slot over the same bridged ports as the agent. It sends a GET, skips the
 * response head, and writes each chunk it reads at the next offset: no HTTP parsing beyond the
 * head, no hashing, no state machine, no events.
 */
import type { Ports, Socket, SlotWriter } from '../modules/ports';
import { serve } from '../simulator/xs/worker-bridge';

interface LoopConfig {
	host: string;
	port: number;
	path: string;
	size: number;
	chunkSize: number;
}

let ports: Ports;
let config: LoopConfig;

const CRLFCRLF = [13, 10, 13, 10];

function run(): Promise<number> {
	return new Promise((resolve, reject) => {
		let slot: SlotWriter | undefined;
		let matched = 0;
		let offset = 0;
		let socket: Socket | undefined = undefined;
		socket = ports.network.connect({
			host: config.host,
			port: config.port,
			onConnect() {
				const request = `GET ${config.path} HTTP/1.1\r\nHost: ${config.host}\r\nConnection: close\r\n\r\n`;
				const bytes = new Uint8Array(request.length);
				for (let i = 0; i < request.length; i++) bytes[i] = request.charCodeAt(i);
				socket!.write(bytes);
				slot = ports.flash.openInactive(config.size);
			},
			onReadable() {
				for (let buffer = socket!.read(config.chunkSize); buffer; buffer = socket!.read(config.chunkSize)) {
					let bytes = new Uint8Array(buffer);
					if (matched < 4) {
						let i = 0;
						while (i < bytes.length && matched < 4) matched = bytes[i++] === CRLFCRLF[matched] ? matched + 1 : bytes[i - 1] === 13 ? 1 : 0;
						bytes = bytes.subarray(i);
					}
					if (bytes.length) {
						slot!.write(bytes, offset);
						offset += bytes.length;
					}
					if (offset >= config.size) {
						slot!.close();
						socket!.close();
						resolve(offset);
						return;
					}
				}
			},
			onError(message) {
				reject(new Error(message));
			},
		});
	});
}

serve({
	start(p, c) {
		ports = p;
		config = c;
	},
	entries: { run },
});
