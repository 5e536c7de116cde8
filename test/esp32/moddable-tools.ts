/*
 * Driving an installed Moddable SDK from tests: where its tools are, why a check cannot run here,
 * mcconfig builds, and apps run in the GTK simulator (mcsim) on a headless X server (Xvfb).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** $MODDABLE's Linux tools folder, or why the Moddable checks are skipped. */
export function moddableTools(): { bin: string } | { skip: string } {
	const moddable = process.env.MODDABLE;
	if (!moddable) return { skip: 'MODDABLE is not set (point it at an installed Moddable SDK to build and run the ESP32 host with the real mcconfig and mcsim)' };
	if (process.platform !== 'linux') return { skip: `the simulator run is written for Moddable's lin platform, not ${process.platform}` };
	const bin = path.join(moddable, 'build', 'bin', 'lin', 'release');
	for (const tool of ['mcconfig', 'mcsim', 'xsc', 'xsl']) {
		if (!fs.existsSync(path.join(bin, tool))) return { skip: `${path.join(bin, tool)} is missing: build the SDK's Linux tools (build/makefiles/lin: make)` };
	}
	for (const [tool, why] of [['Xvfb', 'to run mcsim headless'], ['stdbuf', 'to see trace() as it happens'], ['openssl', 'to make the test cloud a CA Moddable accepts'], ['make', 'to run the ESP32 build stages'], ['git', 'for the ESP-IDF version check of the ESP32 makefile']]) {
		if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return { skip: `${tool} is not installed (${why})` };
	}
	return { bin };
}

/** The environment mcconfig and its makefiles need: the SDK tools and TypeScript 6 on PATH. */
export function moddableEnv(bin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	return { ...process.env, PATH: [bin, path.join(repoRoot, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter), ...extra };
}

export interface RunResult {
	code: number | null;
	output: string;
}

/** Run a command to its end; the result carries stdout and stderr together. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number }): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		let output = '';
		child.stdout.on('data', (data) => (output += data));
		child.stderr.on('data', (data) => (output += data));
		const timer = setTimeout(() => {
			stopGroup(child);
			reject(new Error(`${command} ${args.join(' ')} took more than ${options.timeout} ms:\n${output.slice(-4000)}`));
		}, options.timeout);
		child.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, output });
		});
	});
}

/** Stop a child we started in its own process group, and everything it started. */
export function stopGroup(child: ChildProcess): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, 'SIGTERM');
	} catch {
		// already gone
	}
	setTimeout(() => {
		try {
			if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
		} catch {
			// already gone
		}
	}, 2000).unref();
}

/** A headless X server for mcsim; `display` is ":N". */
export async function startXvfb(): Promise<{ display: string; stop(): void }> {
	const child = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1024x768x24'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'], detached: true });
	let errors = '';
	child.stderr!.on('data', (data) => (errors += data));
	const display = await new Promise<string>((resolve, reject) => {
		let text = '';
		const timer = setTimeout(() => reject(new Error(`Xvfb did not start: ${errors}`)), 15_000);
		(child.stdio[3] as NodeJS.ReadableStream).on('data', (data) => {
			text += data;
			if (text.includes('\n')) {
				clearTimeout(timer);
				resolve(`:${text.trim()}`);
			}
		});
		child.on('exit', () => reject(new Error(`Xvfb exited: ${errors}`)));
	});
	return { display, stop: () => stopGroup(child) };
}

/**
 * Run an app (its mc.so) in mcsim until its trace output matches `until`, then stop it (as a
 * power-off would). Resolves with everything it traced; rejects on a timeout or an early exit.
 */
export function runInSimulator(so: string, options: { display: string; configHome: string; bin: string; until: RegExp; timeout: number }): Promise<string> {
	// mcsim copies the app to <XDG_CONFIG_HOME>/tech.moddable.mcsim/ before loading it.
	fs.mkdirSync(path.join(options.configHome, 'tech.moddable.mcsim'), { recursive: true });
	return new Promise((resolve, reject) => {
		const child = spawn('stdbuf', ['-o0', '-e0', path.join(options.bin, 'mcsim'), so], {
			env: { ...process.env, DISPLAY: options.display, XDG_CONFIG_HOME: options.configHome },
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: true,
		});
		let output = '';
		let settled = false;
		const settle = (error?: Error) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			stopGroup(child);
			if (error) reject(error);
			else resolve(output);
		};
		const timer = setTimeout(() => settle(new Error(`no ${options.until} within ${options.timeout} ms; the app traced:\n${output}`)), options.timeout);
		const take = (data: Buffer) => {
			output += data;
			if (options.until.test(output)) settle();
			// The simulator stays up after the app aborts: there is nothing more to wait for.
			else if (/XS abort/.test(output)) settle(new Error(`the app aborted; it traced:\n${output}`));
		};
		child.stdout.on('data', take);
		child.stderr.on('data', take);
		child.on('exit', (code, signal) => settle(new Error(`mcsim exited (${code ?? signal}) before ${options.until}; the app traced:\n${output}`)));
	});
}

/** The mc.so an mcconfig lin build wrote under `out`. */
export function findLibrary(out: string): string {
	const found: string[] = [];
	const walk = (dir: string) => {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (entry.name === 'mc.so') found.push(full);
		}
	};
	walk(path.join(out, 'bin'));
	if (found.length !== 1) throw new Error(`expected one mc.so under ${out}/bin, found ${found.length}`);
	return found[0];
}
