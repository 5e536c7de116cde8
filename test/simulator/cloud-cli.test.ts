/*
 * `updraft release ...` against a running cloud: every command prints JSON, settings go through,
 * and mistakes give a usage error (exit 2) or the cloud's refusal (exit 1). `updraft cloud` says
 * where it and its dashboard listen.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { updraft } from '../helpers/cli';
import { startTestCloud, temporaryDir } from '../helpers/cloud';

test.serial('release create, list, show, update, enable, disable, dry-run, delete', async (t) => {
	const cloud = await startTestCloud(t);
	const dir = temporaryDir(t);
	const image = join(dir, 'sensor-1.1.0.bin');
	writeFileSync(image, 'firmware');
	const connection = ['--cloud', cloud.url, '--ca', cloud.caPath, '--token', cloud.adminToken];

	const created = await updraft(['release', 'create', ...connection, '--product', 'sensor', '--version', '1.1.0', '--image', image,
		'--policy', 'memory >= 256', '--limit', '10', '--percentage', '25', '--rate', '5', '--period', '60', '--disabled', '--description', 'canary']);
	t.is(created.code, 0, created.stderr);
	const release = JSON.parse(created.stdout);
	t.like(release, { product: 'sensor', version: '1.1.0', policy: 'memory >= 256', limit: 10, percentage: 25, rate: 5, period: 60, enable: false, description: 'canary' });

	const listed = await updraft(['release', 'list', ...connection, '--product', 'sensor']);
	t.deepEqual(JSON.parse(listed.stdout).map((r: { id: string }) => r.id), [release.id]);
	t.like(JSON.parse((await updraft(['release', 'show', ...connection, '--id', release.id])).stdout), { id: release.id });

	const updated = await updraft(['release', 'update', ...connection, '--id', release.id, '--limit', 'none', '--policy', 'memory >= 128']);
	t.like(JSON.parse(updated.stdout), { limit: null, policy: 'memory >= 128' });
	t.like(JSON.parse((await updraft(['release', 'enable', ...connection, '--id', release.id])).stdout), { enable: true });
	t.like(JSON.parse((await updraft(['release', 'disable', ...connection, '--id', release.id])).stdout), { enable: false });

	const dry = await updraft(['release', 'dry-run', ...connection, '--id', release.id, '--policy', 'memory > 1']);
	t.like(JSON.parse(dry.stdout), { product: 'sensor', version: '1.1.0', total: 0, matched: 0 });

	const deleted = await updraft(['release', 'delete', ...connection, '--id', release.id]);
	t.deepEqual(JSON.parse(deleted.stdout), { deleted: release.id });
	t.deepEqual(JSON.parse((await updraft(['release', 'list', ...connection])).stdout), []);
});

test.serial('mistakes: usage errors exit 2, refusals by the cloud exit 1 with its message', async (t) => {
	const cloud = await startTestCloud(t);
	const dir = temporaryDir(t);
	const image = join(dir, 'image.bin');
	writeFileSync(image, 'firmware');
	const connection = ['--cloud', cloud.url, '--ca', cloud.caPath, '--token', cloud.adminToken];
	// [arguments, exit code, stderr]
	const table: [string[], number, RegExp][] = [
		[['release'], 2, /release needs a command/],
		[['release', 'launch', ...connection], 2, /unknown release command "launch"/],
		[['release', 'create', ...connection, '--product', 'p', '--version', '1.0.0'], 2, /missing --image/],
		[['release', 'create', ...connection, '--product', 'p', '--version', '1.0.0', '--image', image, '--limit', 'ten'], 2, /--limit must be a number/],
		[['release', 'update', ...connection, '--id', 'x'], 2, /needs something to change/],
		[['release', 'show', ...connection], 2, /missing --id/],
		[['release', 'dry-run', ...connection, '--product', 'p'], 2, /missing --version/],
		[['release', 'create', ...connection, '--product', 'p', '--version', '1.0.0', '--image', image, '--policy', 'memory >'], 1, /400.*at column 9/],
		[['release', 'create', ...connection, '--product', 'p', '--version', '1.0.0', '--image', image, '--rate', '5'], 1, /rate and period go together/],
		[['release', 'show', ...connection, '--id', 'nope'], 1, /404/],
		[['release', 'list', '--cloud', cloud.url, '--ca', cloud.caPath, '--token', 'wrong-token-123456'], 1, /401/],
	];
	for (const [argv, code, stderr] of table) {
		const result = await updraft(argv);
		t.is(result.code, code, argv.join(' '));
		t.regex(result.stderr, stderr, argv.join(' '));
	}
});

test.serial('updraft cloud prints where it listens, its tokens and its dashboard, which answers', async (t) => {
	const dir = temporaryDir(t);
	const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'updraft.js'), 'cloud', '--data', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
	t.teardown(() => child.kill());
	let stderr = '';
	child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
	const line = await new Promise<string>((resolve, reject) => {
		createInterface({ input: child.stdout }).once('line', resolve);
		child.once('exit', (code) => reject(new Error(`updraft cloud exited with ${code}: ${stderr}`)));
	});
	const started = JSON.parse(line) as { url: string; dashboard: string; adminToken: string; ca: string };
	t.is(started.dashboard, `${started.url}/dashboard`);
	const fetchPage = (headers: Record<string, string>) => new Promise<{ status?: number; body: string }>((resolve, reject) => {
		get(started.dashboard, { ca: readFileSync(started.ca, 'utf8'), headers }, (response) => {
			let body = '';
			response.on('data', (data: Buffer) => (body += data.toString()));
			response.on('end', () => resolve({ status: response.statusCode, body }));
		}).on('error', reject);
	});
	const signedOut = await fetchPage({});
	t.is(signedOut.status, 401);
	t.regex(signedOut.body, /admin token/, 'the sign-in form');
	const page = await fetchPage({ Authorization: `Bearer ${started.adminToken}` });
	t.is(page.status, 200);
	t.regex(page.body, /<html/i);
	t.regex(stderr, /dashboard: https:\/\/localhost:\d+\/dashboard/);
});
