/* A fleet shard in a child process (shard-child.ts), driven through the Shard interface. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { DeviceRun } from './memory-device';
import type { RunListener, Shard, ShardOptions, ShardState } from './fleet-shard';

const CHILD = fileURLToPath(new URL('./shard-child.ts', import.meta.url));

interface Message {
	type: string;
	seq?: number;
	runs?: [string, DeviceRun | null][];
	state?: ShardState;
	message?: string;
	cpuMs?: number;
}

export async function spawnShard(options: ShardOptions): Promise<Shard> {
	const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
	const waiting = new Map<number, { onMessage: (message: Message) => void; reject: (error: Error) => void }>();
	let seq = 0;
	let failure: Error | undefined;
	let ready: { resolve: () => void; reject: (error: Error) => void } | undefined;
	let bye: ((cpuMs: number | undefined) => void) | undefined;
	const fail = (error: Error) => {
		failure ??= error;
		ready?.reject(error);
		for (const { reject } of waiting.values()) reject(error);
		waiting.clear();
	};
	createInterface({ input: child.stdout! }).on('line', (line) => {
		let message: Message;
		try {
			message = JSON.parse(line) as Message;
		} catch {
			fail(new Error(`shard ${options.shard} said something that is not JSON: ${line.slice(0, 200)}`));
			return;
		}
		if (message.type === 'ready') ready?.resolve();
		else if (message.type === 'bye') bye?.(message.cpuMs);
		else if (message.type === 'fatal') fail(new Error(`shard ${options.shard} failed: ${message.message}`));
		else if (message.seq !== undefined) waiting.get(message.seq)?.onMessage(message);
	});
	child.on('exit', (code, signal) => {
		bye?.(undefined);
		fail(new Error(`shard ${options.shard} exited (${signal ?? code})`));
	});
	const send = (message: object) => {
		if (failure) throw failure;
		child.stdin!.write(`${JSON.stringify(message)}\n`);
	};
	await new Promise<void>((resolve, reject) => {
		ready = { resolve, reject };
		send({ cmd: 'init', options });
	});
	ready = undefined;

	const request = <T>(command: object, onMessage: (message: Message, resolve: (value: T) => void) => void): Promise<T> => new Promise((resolve, reject) => {
		if (failure) {
			reject(failure);
			return;
		}
		const id = ++seq;
		waiting.set(id, {
			onMessage: (message) => onMessage(message, (value) => {
				waiting.delete(id);
				resolve(value);
			}),
			reject,
		});
		send({ ...command, seq: id });
	});

	let closing: Promise<{ cpuMs?: number }> | undefined;
	return {
		wave: (ids, deviceTime, onRun: RunListener) => request<void>({ cmd: 'wave', ids, deviceTime }, (message, resolve) => {
			if (message.type === 'runs') for (const [id, run] of message.runs ?? []) onRun(id, run);
			else if (message.type === 'done') resolve();
		}),
		stop() {
			if (!failure) send({ cmd: 'stop' });
		},
		state: () => request<ShardState>({ cmd: 'state' }, (message, resolve) => {
			if (message.type === 'state') resolve(message.state!);
		}),
		close() {
			closing ??= new Promise((resolve) => {
				if (child.exitCode !== null || child.signalCode !== null) {
					resolve({});
					return;
				}
				bye = (cpuMs) => resolve(cpuMs === undefined ? {} : { cpuMs });
				child.stdin!.end();
			});
			return closing;
		},
	};
}
