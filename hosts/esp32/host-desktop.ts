/*
 * The desktop host, for running the same app in Moddable's simulators (lin, mac, win): TLS,
 * SHA-256, preferences, timers and signatures on the real Moddable modules (moddable-ports.ts);
 * the two OTA slots and the boot record simulated as files (flash-files.ts, desktop-boot.ts).
 *
 * A restart cannot be done from inside the simulator: restart() says so in the log, and the
 * next launch of the app is the new boot (the test harness relaunches it; by hand, quit and start
 * it again). Each launch first runs the simulated bootloader, which is when a trial that was never
 * confirmed is rolled back.
 */
import config from 'mc/config';
import type { Ports } from '../../modules/ports';
import type { UpdraftHost } from './host';
import { readHostConfig } from './host-config';
import { createPartitionFlash } from './partition-flash';
import { bootDesktop } from './desktop-boot';
import { fileFlashFiles } from './flash-files';
import { moddableClock, moddableDigest, moddableNetwork, moddableSignature, moddableStore, traceLog } from './moddable-ports';

export function createHost(): UpdraftHost {
	const settings = readHostConfig(config);
	const log = traceLog(settings.log);
	if (!settings.flashPath) throw new Error('config.updraft.flashPath is needed: the folder of the simulated flash (no file.root to default to)');
	const boot = bootDesktop(fileFlashFiles(settings.flashPath), { slotSize: settings.slotSize, builtinVersion: settings.version });
	if (boot.rolledBack) log.log('warn', `the simulated bootloader went back to slot${boot.runningSlot}`);
	log.log('info', `booted slot${boot.runningSlot}: version ${boot.version} (${boot.runningState()}), flash in ${settings.flashPath}`);

	const ports: Ports = {
		// Desktop sockets drop what is not read inside their callback: no read pacing here.
		network: moddableNetwork(settings, undefined),
		flash: createPartitionFlash(boot, { align: 16 }),
		digest: moddableDigest,
		signature: moddableSignature,
		store: moddableStore(settings),
		clock: moddableClock(),
		system: {
			version: () => boot.version,
			restart() {
				trace('updraft: restart requested: start the app again to boot the new slot\n');
			},
		},
		log,
	};
	return { ports, config: settings, platform: 'desktop' };
}
