/*
 * The XS bridge with a real worker: errors in both directions, crashes, and the generic port
 * proxies. The agent's own runs on XS are in test/e2e.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { startXsProgram, XsCrashError } from '../../simulator/xs/xs-program';
import { nodeDigest } from '../../hosts/sim/node-digest';
import { createNodeClock } from '../../hosts/sim/node-clock';
import { memoryStore } from '../helpers/memory-ports';
import type { Ports } from '../../modules/ports';

const ENTRY = fileURLToPath(new URL('../fixtures/xs-crash-worker.ts', import.meta.url));

function ports(): Ports {
	return {
		network: { connect: () => { throw new Error('no network here'); } },
		flash: {
			openInactive(n: number) {
				throw new RangeError(`image of ${n} bytes does not fit`);
			},
			runningState: () => 'confirmed' as const,
			confirm() {},
			rollback() {},
		},
		digest: nodeDigest,
		store: memoryStore(),
		clock: createNodeClock(),
		system: { version: () => '1.0.0', restart: () => {} },
	};
}

async function start(t: { teardown(fn: () => unknown): void }, meteringLimit?: number) {
	const p = ports();
	const program = await startXsProgram(ENTRY, p, {}, { meteringLimit });
	t.teardown(async () => {
		await program.close();
		(p.clock as ReturnType<typeof createNodeClock>).dispose();
	});
	return program;
}

test('a rejected entry point comes back as its error, and the worker lives on', async (t) => {
	const program = await start(t);
	const error = await t.throwsAsync(program.invoke('reject'));
	t.true(error instanceof TypeError);
	t.is(error?.message, 'rejected inside XS');
	t.deepEqual([...(await program.invoke('digest') as Uint8Array)], [...createHash('sha256').update('abc').digest()]);
});

test('a host port exception reaches XS with its class and message', async (t) => {
	const program = await start(t);
	t.is(await program.invoke('portError'), 'RangeError: image of 1000000000000 bytes does not fit');
});

test('an exception escaping into the XS event loop is a crash, reported with its message', async (t) => {
	const program = await start(t);
	const error = await t.throwsAsync(program.invoke('crashInTimer'), { instanceOf: XsCrashError });
	t.regex(error!.message, /boom in a timer/);
	t.regex(error!.message, /at explode/, 'with the XS stack');
	await t.throwsAsync(program.invoke('digest'), { instanceOf: XsCrashError }, 'a crashed worker takes no more calls');
});

test('a runaway loop past the metering limit kills the worker and is reported', async (t) => {
	const program = await start(t, 1_000_000);
	const error = await t.throwsAsync(program.invoke('spin'), { instanceOf: XsCrashError });
	t.regex(error!.message, /exited|computation|17/);
});

test('kill() ends the worker like a power cut', async (t) => {
	const program = await start(t);
	const pending = program.invoke('crashInTimer');
	program.kill();
	await t.throwsAsync(pending, { instanceOf: XsCrashError });
});
