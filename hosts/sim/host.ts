/*
 * Composition root of the simulator host: the agent's ports for one simulated device folder.
 *
 *   DIR/config/{ioto,device,provision}.json5   Ioto configuration
 *   DIR/config/ca.pem                          CAs the device trusts (a manifest resource on ESP32)
 *   DIR/flash/                                 otadata and the two app slots (flash/flash-folder.ts)
 *   DIR/state/store.json                       the persistent store
 *
 * The host boots nothing: the simulator runs the bootloader (flash/bootloader.ts) first and
 * passes what it started. One FaultInjector, when given, sees every flash and store operation of
 * the device, so a power cut can be placed at any of them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ports, LogLevel, RunningState } from '../../modules/ports';
import { createTlsNetwork } from './tls-network';
import { openFlashFolder } from './flash/flash-folder';
import { createOtaFlash, runningFromEntry } from './flash/ota-flash';
import { Otadata } from './flash/otadata';
import type { ImageValidator } from './flash/bootloader';
import type { SlotIndex } from './flash/layout';
import type { FaultInjector } from './flash/faults';
import { nodeDigest } from './node-digest';
import { createFileStore } from './file-store';
import { createNodeClock } from './node-clock';

export interface SimHostOptions {
	/** The device folder. */
	dir: string;
	/** Version of the firmware the simulated bootloader started. */
	version: string;
	/**
	 * The slot the bootloader started and its state (its BootResult fits). When omitted, read from
	 * otadata, which names what runs once the bootloader has run.
	 */
	running?: { slot: SlotIndex; state: RunningState };
	/** Image check for flash.rollback(); without it rollback() throws. */
	validate?: ImageValidator;
	/** Power cuts: consulted before every flash erase/write and every store set/delete. */
	faults?: FaultInjector;
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
	const regions = openFlashFolder(paths.flash, options.faults);
	const running = options.running ?? runningFromEntry(new Otadata(regions.otadata).read());
	const ca = fs.readFileSync(paths.ca, 'utf8');
	const clock = createNodeClock(options.clockScale);
	let restartRequested = false;
	const network = createTlsNetwork({ ca });
	const ports: Ports = {
		network,
		flash: createOtaFlash(regions, running.slot, running.state, { validate: options.validate }),
		digest: nodeDigest,
		store: createFileStore(paths.store, options.faults),
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
