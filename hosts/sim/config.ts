/*
 * Reads a device's Ioto configuration files (config/ioto.json5, device.json5, provision.json5)
 * and hands the agent the keys it uses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import JSON5 from 'json5';
import type { AgentConfig } from '../../modules/agent';

export interface DeviceFiles {
	ioto: Record<string, any>;
	device: Record<string, unknown>;
	provision: { api: string; token: string };
}

export function readDeviceFiles(configDir: string): DeviceFiles {
	const read = (name: string, required: boolean): Record<string, any> => {
		const file = path.join(configDir, name);
		let text: string;
		try {
			text = fs.readFileSync(file, 'utf8');
		} catch (error) {
			if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
			throw new Error(`cannot read ${file}: ${(error as Error).message}`);
		}
		let value: unknown;
		try {
			value = JSON5.parse(text);
		} catch (error) {
			throw new Error(`${file} is not valid JSON5: ${(error as Error).message}`);
		}
		if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file} must hold an object`);
		return value as Record<string, any>;
	};
	const provision = read('provision.json5', true);
	if (typeof provision.api !== 'string' || typeof provision.token !== 'string') {
		throw new Error(`${path.join(configDir, 'provision.json5')} needs "api" and "token" strings`);
	}
	return { ioto: read('ioto.json5', false), device: read('device.json5', true), provision: { api: provision.api, token: provision.token } };
}

/** The agent reads Ioto's keys as they are written (durations, cron specs); it validates them. */
export function agentConfig(files: DeviceFiles): AgentConfig {
	const { services, update, timeouts } = files.ioto;
	return { provision: files.provision, device: files.device, services, update, timeouts };
}
