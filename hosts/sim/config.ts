/*
 * Reads a device's Ioto configuration files (config/ioto.json5, device.json5, provision.json5)
 * and turns them into the agent's configuration, with Ioto's defaults and duration strings
 * ("30 secs", "4 hrs") converted to milliseconds.
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

export function agentConfig(files: DeviceFiles): AgentConfig {
	const timeouts = files.ioto.timeouts ?? {};
	const config: AgentConfig = { provision: files.provision, device: files.device, timeouts: {} };
	if (timeouts.api !== undefined) config.timeouts!.api = durationMs(timeouts.api, 'timeouts.api');
	if (timeouts.download !== undefined) config.timeouts!.download = durationMs(timeouts.download, 'timeouts.download');
	if (files.ioto.update?.chunkSize !== undefined) config.chunkSize = Number(files.ioto.update.chunkSize);
	return config;
}

const UNITS: [RegExp, number][] = [
	[/^(ms|msec|msecs|millisecond|milliseconds)$/, 1],
	[/^(s|sec|secs|second|seconds)$/, 1000],
	[/^(m|min|mins|minute|minutes)$/, 60_000],
	[/^(h|hr|hrs|hour|hours)$/, 3600_000],
	[/^(d|day|days)$/, 86400_000],
	[/^(w|week|weeks)$/, 7 * 86400_000],
];

/** Ioto's duration values: a number of seconds, or "N unit" ("30 secs", "24 hrs", "5 mins"). */
export function durationMs(value: unknown, key: string): number {
	if (typeof value === 'number' && value >= 0 && Number.isFinite(value)) return value * 1000;
	if (typeof value === 'string') {
		const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
		if (match) {
			const n = Number(match[1]);
			const unit = match[2].toLowerCase();
			if (unit === '') return n * 1000;
			for (const [re, ms] of UNITS) if (re.test(unit)) return n * ms;
		}
	}
	throw new Error(`${key}: not a duration: ${JSON.stringify(value)}`);
}
