/*
 * Composition root of the simulator host: the agent's ports for one simulated device folder.
 *
 *   DIR/config/{ioto,device,provision}.json5   Ioto configuration
 *   DIR/config/ca.pem                          CAs the device trusts (a manifest resource on ESP32)
 *   DIR/flash/                                 slots and boot record (file-flash.ts)
 *   DIR/state/store.json                       the persistent store
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ports, LogLevel } from '../../modules/ports';
import { createTlsNetwork } from './tls-network';
import { createFileFlash } from './file-flash';
import { nodeDigest } from './node-digest';
import { createFileStore } from './file-store';
import { createNodeClock } from './node-clock';

export interface SimHostOptions {
	/** The device folder. */
	dir: string;
	/** Version of the firmware the simulated bootloader started. */
	version: string;
	/** Device time runs this many times faster than wall time. */
	clockScale?: number;
	log?: (level: LogLevel, message: string) => void;
}

export interface SimHost {
	ports: Ports;
	/** True once the agent asked for a restart. */
	readonly restartRequested: boolean;
	/** Power off: cancel timers and drop connections. */
	dispose(): void;
}

export const devicePaths = (dir: string) => ({
	config: path.join(dir, 'config'),
	ca: path.join(dir, 'config', 'ca.pem'),
	flash: path.join(dir, 'flash'),
	state: path.join(dir, 'state'),
	store: path.join(dir, 'state', 'store.json'),
});

export function createSimHost(options: SimHostOptions): SimHost {
	const paths = devicePaths(options.dir);
	fs.mkdirSync(paths.state, { recursive: true });
	const clock = createNodeClock(options.clockScale);
	let restartRequested = false;
	const network = createTlsNetwork({ ca: fs.readFileSync(paths.ca, 'utf8') });
	const ports: Ports = {
		network,
		flash: createFileFlash(paths.flash),
		digest: nodeDigest,
		store: createFileStore(paths.store),
		clock,
		system: {
			version: () => options.version,
			restart: () => {
				restartRequested = true;
			},
		},
		log: options.log ? { log: options.log } : undefined,
	};
	return {
		ports,
		get restartRequested() {
			return restartRequested;
		},
		dispose() {
			clock.dispose();
			network.closeAll();
		},
	};
}
