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
import { createScriptFlash } from './script-flash';
import { nodeSignature } from './node-signature';
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
	/** A Unix-like device: images go to `download` and are installed by running `script`. */
	script?: { script: string; download: string };
	/** Power cuts: consulted before every flash erase/write and every store set/delete. */
	faults?: FaultInjector;
	/** Device time skips ahead this many times faster through long idle waits. */
	clockScale?: number;
	/** Device time at power-on (the device's clock keeps running across restarts). */
	clockStart?: number;
	log?: (level: LogLevel, message: string) => void;
	/** Called (once) when the agent asks for a restart or a stop, after the port call returns. */
	onPowerRequest?: (request: 'restart' | 'stop') => void;
}

export interface SimHost {
	ports: Ports;
	/** True once the agent asked for a restart. */
	readonly restartRequested: boolean;
	/** True once the agent asked the process to stop (an update script said `exit`). */
	readonly stopRequested: boolean;
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
	const flash = options.script
		? createScriptFlash({ imagePath: options.script.download, script: options.script.script, maxSize: 256 * 1024 * 1024 })
		: otaFlash(paths.flash, options);
	const ca = fs.readFileSync(paths.ca, 'utf8');
	const clock = createNodeClock(options.clockScale, options.clockStart);
	let restartRequested = false;
	let stopRequested = false;
	const request = (what: 'restart' | 'stop') => {
		if (!options.onPowerRequest) return;
		// The agent is still inside its port call: tell the device after the call returns.
		setImmediate(() => options.onPowerRequest?.(what));
	};
	const network = createTlsNetwork({ ca, onActivity: (open) => clock.setBusy(open > 0) });
	const ports: Ports = {
		network,
		flash,
		digest: nodeDigest,
		signature: nodeSignature,
		store: createFileStore(paths.store, options.faults),
		clock,
		system: {
			version: () => options.version,
			restart: () => {
				if (!restartRequested) request('restart');
				restartRequested = true;
			},
			stop: () => {
				if (!stopRequested) request('stop');
				stopRequested = true;
			},
		},
		log: options.log ? { log: options.log } : undefined,
	};
	return {
		ports,
		get restartRequested() {
			return restartRequested;
		},
		get stopRequested() {
			return stopRequested;
		},
		dispose() {
			clock.dispose();
			network.closeAll();
		},
	};
}

function otaFlash(dir: string, options: SimHostOptions) {
	const regions = openFlashFolder(dir, options.faults);
	const running = options.running ?? runningFromEntry(new Otadata(regions.otadata).read());
	return createOtaFlash(regions, running.slot, running.state, { validate: options.validate });
}
