/*
 * The device cloud in a process of its own, for fleet runs: the devices' TLS and the cloud's TLS
 * then use a core each. `node --import tsx simulator/fleet/cloud-child.ts DIR [AUTOHALT_JSON]`
 * prints one JSON line when it listens ({url, caPem, fleetToken, adminToken}); on SIGTERM it
 * closes the cloud, prints {cpuMs} (the CPU time it used) and exits.
 *
 * Only faults and halts are logged (to stderr): a line per request would cost more than the
 * request at fleet rates.
 */
import { startCloud } from '../cloud/server';
import type { AutoHaltConfig } from '../cloud/rollout/auto-halt';

const [dataDir, autoHaltJson] = process.argv.slice(2);
if (!dataDir) {
	process.stderr.write('usage: cloud-child.ts DIR [AUTOHALT_JSON]\n');
	process.exit(2);
}
const worth = /^(error|server error|release .* halted)/;
const cloud = await startCloud({
	dataDir,
	port: 0,
	autoHalt: autoHaltJson ? JSON.parse(autoHaltJson) as Partial<AutoHaltConfig> : undefined,
	log: (line) => {
		if (worth.test(line)) process.stderr.write(`cloud: ${line}\n`);
	},
});
process.stdout.write(`${JSON.stringify({ url: cloud.url, caPem: cloud.caPem, fleetToken: cloud.fleetToken, adminToken: cloud.adminToken })}\n`);
const stop = () => {
	cloud.close().then(() => {
		const usage = process.cpuUsage();
		process.stdout.write(`${JSON.stringify({ cpuMs: Math.round((usage.user + usage.system) / 1000) })}\n`);
		process.exit(0);
	}, (error: unknown) => {
		process.stderr.write(`cloud: closing failed: ${(error as Error).message}\n`);
		process.exit(1);
	});
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The parent went away without stopping us: stop too.
process.stdin.on('end', stop);
process.stdin.resume();
