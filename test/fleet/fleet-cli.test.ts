/*
 * `updraft fleet` from the command line: against a running cloud with --json, against a cloud of
 * its own in a child process with the table, and usage mistakes (exit 2).
 */
import test from 'ava';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { updraft } from '../helpers/cli';
import { startFleetCloud } from '../../simulator/fleet/cloud-process';
import { startTestCloud, temporaryDir } from '../helpers/cloud';

test.serial('fleet --json against a running cloud prints the summary as JSON', async (t) => {
	const cloud = await startTestCloud(t);
	const run = await updraft(['fleet', '--devices', '30', '--seed', 'cli', '--stages', '50,100', '--concurrency', '8',
		'--cloud', cloud.url, '--ca', cloud.caPath, '--token', cloud.fleetToken, '--admin-token', cloud.adminToken, '--json']);
	t.is(run.code, 0, run.stderr);
	const summary = JSON.parse(run.stdout);
	t.like(summary, { devices: 30, seed: 'cli', errors: 0, versionsAfter: { '2.0.0': 30 }, cloudCpuMs: null });
	t.is(summary.stages.length, 2);
	t.like(summary.release.counters, { success: 30, devices: 30 });
	// The progress went to stderr, one line per wave at least.
	t.regex(run.stderr, /stage 2\/2 \(100%\)\s+wave 1 .* 30\/30/);
});

test.serial('the cloud in a child process serves a fleet run and says how much CPU it used', async (t) => {
	const seeded = await startTestCloud(t);
	const dataDir = temporaryDir(t);
	cpSync(join(seeded.dataDir, 'tls'), join(dataDir, 'tls'), { recursive: true });
	const run = await updraft(['fleet', '--devices', '12', '--seed', 'child', '--stages', 'none', '--data', dataDir, '--concurrency', '4']);
	t.is(run.code, 0, run.stderr);
	t.regex(run.stdout, /^fleet\s+12 devices, seed "child", product sensor$/m);
	t.regex(run.stdout, /^2\.0\.0\s+0\s+12$/m);
	t.regex(run.stdout, /the cloud received 12 \(success 12, failure 0\)/);
	t.regex(run.stdout, /cloud CPU \d/);
	// --data is kept: the cloud's database is there to look at.
	t.true(existsSync(join(dataDir, 'cloud.db')));
});

test.serial('a cloud process that cannot start says why', async (t) => {
	const dir = temporaryDir(t);
	// A data folder inside a file cannot be made.
	writeFileSync(join(dir, 'file'), '');
	await t.throwsAsync(startFleetCloud({ dataDir: join(dir, 'file', 'cloud') }), { message: /exited before listening: [^]*ENOTDIR/ });
});

test.serial('usage mistakes exit 2 with a message', async (t) => {
	// [arguments, what the message says]
	const table: [string[], RegExp][] = [
		[['fleet', '--seed', 's'], /missing --devices/],
		[['fleet', '--devices', '0', '--seed', 's'], /--devices must be an integer >= 1/],
		[['fleet', '--devices', '5', '--seed', 's', '--stages', '50,20'], /must rise/],
		[['fleet', '--devices', '5', '--seed', 's', '--rate', '5'], /--rate needs --rate-period/],
		[['fleet', '--devices', '5', '--seed', 's', '--faults', '1.5'], /--faults is the share/],
		[['fleet', '--devices', '5', '--seed', 's', '--faults', '0.5', '--fault-odds', '0.9,0.9'], /--fault-odds/],
		[['fleet', '--devices', '5', '--seed', 's', '--to', 'two'], /--to must be a SemVer/],
		[['fleet', '--devices', '5', '--seed', 's', '--product', 'a b'], /--product must be/],
		[['fleet', '--devices', '5', '--seed', 's', '--token', 'x'], /go with --cloud/],
		[['fleet', '--devices', '5', '--seed', 's', '--from', '1.0'], /not SemVer/],
		[['fleet', '--devices', '5', '--seed', 's', '--bogus'], /Unknown option/],
	];
	for (const [argv, message] of table) {
		const run = await updraft(argv);
		t.is(run.code, 2, argv.join(' '));
		t.regex(run.stderr, message, argv.join(' '));
	}
});
