/*
 * A fleet shard in a process of its own: `node --import tsx simulator/fleet/shard-child.ts`.
 * It speaks JSON lines: on stdin {cmd:'init', options}, then {seq, cmd:'wave', ids, deviceTime},
 * {cmd:'stop'} and {seq, cmd:'state'}; on stdout {type:'ready'}, {seq, type:'runs', runs} (in
 * batches as devices finish), {seq, type:'done'}, {seq, type:'state', state}, and
 * {type:'fatal', message} before it gives up. The end of stdin ends it, after a last
 * {type:'bye', cpuMs}.
 */
import { createInterface } from 'node:readline';
import type { DeviceRun } from './memory-device';
import { FleetShard, type ShardOptions } from './fleet-shard';

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
let shard: FleetShard | undefined;

async function handle(message: { seq?: number; cmd?: string; options?: ShardOptions; ids?: string[]; deviceTime?: number }): Promise<void> {
	switch (message.cmd) {
		case 'init':
			shard = new FleetShard(message.options!);
			send({ type: 'ready' });
			return;
		case 'wave': {
			if (!shard) throw new Error('wave before init');
			let batch: [string, DeviceRun | null][] = [];
			const flush = () => {
				if (batch.length === 0) return;
				send({ seq: message.seq, type: 'runs', runs: batch });
				batch = [];
			};
			const timer = setInterval(flush, 100);
			try {
				await shard.wave(message.ids ?? [], message.deviceTime ?? Date.now(), (id, run) => {
					batch.push([id, run]);
					if (batch.length >= 64) flush();
				});
			} finally {
				clearInterval(timer);
				flush();
			}
			send({ seq: message.seq, type: 'done' });
			return;
		}
		case 'stop':
			shard?.stop();
			return;
		case 'state':
			if (!shard) throw new Error('state before init');
			send({ seq: message.seq, type: 'state', state: await shard.state() });
			return;
		default:
			throw new Error(`unknown command ${JSON.stringify(message.cmd)}`);
	}
}

const fatal = (error: unknown) => {
	send({ type: 'fatal', message: error instanceof Error ? error.stack ?? error.message : String(error) });
	process.exit(1);
};

createInterface({ input: process.stdin })
	.on('line', (line) => {
		let message: Parameters<typeof handle>[0];
		try {
			message = JSON.parse(line);
		} catch {
			fatal(new Error(`not a JSON command: ${line.slice(0, 100)}`));
			return;
		}
		handle(message).catch(fatal);
	})
	.on('close', () => {
		shard?.stop();
		const usage = process.cpuUsage();
		send({ type: 'bye', cpuMs: Math.round((usage.user + usage.system) / 1000) });
		process.exit(0);
	});
