/*
 * Start the device cloud for a fleet run: in a child process (cloud-child.ts), so that it has a
 * core of its own, or in this process (quicker to start, for tests and small fleets).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { startCloud } from '../cloud/server';
import type { AutoHaltConfig } from '../cloud/rollout/auto-halt';

const CHILD = fileURLToPath(new URL('./cloud-child.ts', import.meta.url));

export interface FleetCloud {
	url: string;
	caPem: string;
	fleetToken: string;
	adminToken: string;
	/** Stop the cloud; resolves with the CPU time it used when it ran in a child process. */
	close(): Promise<{ cpuMs?: number }>;
}

export interface FleetCloudOptions {
	dataDir: string;
	/** 'child' (default) or 'inline'. */
	mode?: 'child' | 'inline';
	autoHalt?: Partial<AutoHaltConfig>;
	/** Lines the cloud logs about faults and halts. */
	log?: (line: string) => void;
}

export async function startFleetCloud(options: FleetCloudOptions): Promise<FleetCloud> {
	if (options.mode === 'inline') {
		const cloud = await startCloud({
			dataDir: options.dataDir,
			port: 0,
			autoHalt: options.autoHalt,
			log: options.log ? (line) => /^(error|server error|release .* halted)/.test(line) && options.log?.(line) : undefined,
		});
		return {
			url: cloud.url, caPem: cloud.caPem, fleetToken: cloud.fleetToken, adminToken: cloud.adminToken,
			close: async () => {
				await cloud.close();
				return {};
			},
		};
	}
	const args = ['--import', 'tsx', CHILD, options.dataDir];
	if (options.autoHalt) args.push(JSON.stringify(options.autoHalt));
	const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
	const lines = createInterface({ input: child.stdout! });
	const errors = createInterface({ input: child.stderr! });
	const stderr: string[] = [];
	errors.on('line', (line) => {
		stderr.push(line);
		if (stderr.length > 20) stderr.shift();
		options.log?.(line.replace(/^cloud: /, ''));
	});
	const next = lineReader(lines);
	let info: { url: string; caPem: string; fleetToken: string; adminToken: string };
	try {
		info = JSON.parse(await next(child, () => `the cloud process exited before listening${stderr.length ? `: ${stderr.join('\n')}` : ''}`));
	} catch (error) {
		child.kill('SIGKILL');
		throw error;
	}
	let closing: Promise<{ cpuMs?: number }> | undefined;
	return {
		...info,
		close() {
			closing ??= (async () => {
				if (child.exitCode !== null || child.signalCode !== null) return {};
				const last = next(child, () => 'the cloud process exited without a last word').catch(() => '{}');
				child.kill('SIGTERM');
				const text = await last;
				await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
				try {
					return JSON.parse(text) as { cpuMs?: number };
				} catch {
					return {};
				}
			})();
			return closing;
		},
	};
}

/** Reads the child's stdout a line at a time; rejects when the child exits first. */
function lineReader(lines: ReturnType<typeof createInterface>) {
	const queue: string[] = [];
	let waiting: ((line: string) => void) | undefined;
	lines.on('line', (line) => {
		if (waiting) {
			const resolve = waiting;
			waiting = undefined;
			resolve(line);
		} else {
			queue.push(line);
		}
	});
	return (child: ChildProcess, why: () => string): Promise<string> => {
		const queued = queue.shift();
		if (queued !== undefined) return Promise.resolve(queued);
		return new Promise((resolve, reject) => {
			const onExit = () => {
				// Lines written just before the exit may still be on their way.
				setImmediate(() => {
					const late = queue.shift();
					if (late !== undefined) resolve(late);
					else reject(new Error(why()));
				});
			};
			child.once('exit', onExit);
			waiting = (line) => {
				child.off('exit', onExit);
				resolve(line);
			};
		});
	};
}
