/*
 * What a host hands the application: the agent's ports and the checked configuration. The app
 * imports createHost from "updraft/esp32/host", which the manifest maps to host-esp32.ts on the
 * board and to host-desktop.ts in Moddable's desktop simulators.
 */
import type { Ports } from '../../modules/ports';
import type { HostConfig } from './host-config';

export interface UpdraftHost {
	readonly ports: Ports;
	readonly config: HostConfig;
	/** "esp32", or "desktop" for Moddable's lin/mac/win simulators. */
	readonly platform: 'esp32' | 'desktop';
}
