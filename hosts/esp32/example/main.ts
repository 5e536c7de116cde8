/*
 * An app that keeps itself up to date with Updraft: it settles whatever a restart interrupted,
 * checks in once at start and then on the agent's schedule, shows each update it accepts
 * (device:update), and passes a new firmware's trial boot only after its own self-test
 * (device:selftest; the agent then confirms, or rolls back and restarts).
 *
 * Its cloud, token, device properties, trusted keys and CA come from the manifest's
 * config.updraft (see the README, "On an ESP32 board"); the same app runs on the board and in
 * Moddable's simulator.
 */
import { UpdraftAgent, type CycleResult } from 'updraft/agent';
import { Scheduler } from 'updraft/scheduler';
import type { Ports } from 'updraft/ports';
import { createHost } from 'updraft/esp32/host';

/** What this app must be able to do before it keeps a new firmware: here, use its store. */
function selfTest(ports: Ports): { ok: boolean; reason?: string } {
	const key = 'app.selftest';
	const probe = String(ports.clock.now());
	ports.store.set(key, probe);
	const back = ports.store.get(key);
	ports.store.delete(key);
	return back === probe ? { ok: true } : { ok: false, reason: 'the store did not read back what was written' };
}

async function main(): Promise<void> {
	const host = createHost();
	const { ports } = host;
	const agent = new UpdraftAgent(ports, host.config.agent);

	agent.watch('device:update', (update: { version: string; size: number; slot: string }) => {
		trace(`example: installing ${update.version} (${update.size} bytes) into ${update.slot}\n`);
	});
	agent.watch('update:trial', (trial: { version: string }) => {
		trace(`example: ${trial.version} runs on trial until its self-test passes\n`);
	});
	agent.watch('device:selftest', () => selfTest(ports));
	agent.watch('update:outcome', (result: CycleResult) => {
		trace(`example: outcome ${result.outcome}${result.version ? ` ${result.version}` : ''}${result.reason ? ` (${result.reason}: ${result.message ?? ''})` : ''}\n`);
	});

	trace(`example: running ${ports.system.version()} on ${host.platform}\n`);
	await agent.boot();
	const result = await agent.check();
	if (result.outcome === 'restarting') return;
	new Scheduler(agent, ports.clock, ports.log).start();
}

main().catch((error: unknown) => {
	trace(`example: cannot run: ${error instanceof Error ? error.message : String(error)}\n`);
});
