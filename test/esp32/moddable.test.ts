/*
 * The ESP32 host with the real Moddable tools, when $MODDABLE points at an installed SDK (skipped,
 * saying why, otherwise). Against an Updraft cloud on loopback:
 * - port-check, built with mcconfig for lin and run in mcsim under Xvfb, passes every check on the
 *   real modules (SHA-256, ECDSA P-256, preference, Timer, the flash slot, TLS);
 * - the example app, built the same way, downloads release 1.1.0, verifies and activates it,
 *   and asks for a restart; relaunched (the simulator's restart), it boots the new slot on trial
 *   as 1.1.0, passes its self-test, confirms, and the cloud has its success report;
 * - the same app's ESP32 build goes through mcconfig and the TypeScript (tsc 6), xsc and xsl
 *   stages of its makefile (ESP-IDF is not needed for those), with the FFI glue, the OTA
 *   partition table and rollback enabled in its sdkconfig.
 * Builds take minutes (mcconfig runs tsc once per module).
 */
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeIotoManifest } from '../../hosts/esp32/tools/ioto-manifest';
import { findLibrary, moddableEnv, moddableTools, repoRoot, run, runInSimulator, startXvfb, stopGroup } from './moddable-tools';

const tools = moddableTools();
const MINUTES = 60_000;

if ('skip' in tools) {
	test.skip(`ESP32 host on the real Moddable tools: skipped because ${tools.skip}`, () => {});
} else {
	const { bin } = tools;
	const env = moddableEnv(bin);
	const work = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-moddable-'));
	const updraft = (...args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'updraft.js'), ...args], { cwd: repoRoot, encoding: 'utf8', env: process.env });
	let cloudProcess: ChildProcess | undefined;
	let xvfb: { display: string; stop(): void } | undefined;
	let image: Buffer;
	let cloudDir: string;

	/** Config folder of a device that runs 1.0.0 of product "sensor", as Ioto keeps it. */
	const configDir = path.join(work, 'device-config');

	test.before(async () => {
		cloudDir = path.join(work, 'cloud');
		fs.mkdirSync(path.join(cloudDir, 'tls'), { recursive: true });
		// Moddable's certificate check reads the authorityKeyIdentifier of the last certificate the
		// server sends (the CA) and fails when it is absent; openssl's CAs carry it (as their own
		// key id), so the cloud is given one of those to issue its server certificate from.
		const ca = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=Updraft test CA',
			'-keyout', 'ca-key.pem', '-out', 'ca.pem', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
			'-addext', 'subjectKeyIdentifier=hash', '-addext', 'authorityKeyIdentifier=keyid:always'], { cwd: path.join(cloudDir, 'tls'), encoding: 'utf8' });
		if (ca.status !== 0) throw new Error(`openssl: ${ca.stderr}`);
		fs.chmodSync(path.join(cloudDir, 'tls', 'ca-key.pem'), 0o600);

		const cloud = spawn(process.execPath, [path.join(repoRoot, 'bin', 'updraft.js'), 'cloud', '--data', cloudDir, '--port', '0'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		cloudProcess = cloud;
		const started = await new Promise<{ url: string; fleetToken: string; adminToken: string; ca: string }>((resolve, reject) => {
			let out = '';
			let errors = '';
			cloud.stderr!.on('data', (data) => (errors += data));
			cloud.stdout!.on('data', (data) => {
				out += data;
				const line = out.split('\n').find((l) => l.startsWith('{'));
				if (line) resolve(JSON.parse(line));
			});
			cloud.on('exit', (code) => reject(new Error(`the cloud exited (${code}): ${errors}`)));
		});

		image = fs.readFileSync(await makeRelease(started, '1.1.0'));
		fs.mkdirSync(configDir, { recursive: true });
		fs.copyFileSync(started.ca, path.join(configDir, 'ca.pem'));
		fs.writeFileSync(path.join(configDir, 'provision.json5'), `{api: '${started.url}', token: '${started.fleetToken}'}\n`);
		fs.writeFileSync(path.join(configDir, 'device.json5'), "{id: 'moddable-sim-1', product: 'sensor'}\n");
		// The release is not signed: this cloud has no signing step in this test.
		fs.writeFileSync(path.join(configDir, 'ioto.json5'), "{version: '1.0.0', update: {signatures: 'optional', retry: {attempts: 2}}}\n");
		xvfb = await startXvfb();
	});

	test.after.always(() => {
		if (cloudProcess) stopGroup(cloudProcess);
		xvfb?.stop();
		fs.rmSync(work, { recursive: true, force: true });
	});

	async function makeRelease(cloud: { url: string; adminToken: string; ca: string }, version: string): Promise<string> {
		const file = path.join(work, `sensor-${version}.bin`);
		const made = updraft('image', 'create', '--product', 'sensor', '--version', version, '--out', file);
		if (made.status !== 0) throw new Error(`image create: ${made.stderr}`);
		const released = updraft('release', 'create', '--cloud', cloud.url, '--ca', cloud.ca, '--token', cloud.adminToken, '--product', 'sensor', '--version', version, '--image', file);
		if (released.status !== 0) throw new Error(`release create: ${released.stderr}`);
		return file;
	}

	/** An app's manifest with this device's config, built by mcconfig. */
	async function build(name: string, app: string, platform: string, extra: { root?: string; set?: string[] } = {}): Promise<{ out: string; manifest: string; output: string }> {
		const manifestDir = path.join(work, name);
		const args = ['--config', configDir, '--out', manifestDir, '--app', path.join(repoRoot, app), ...(extra.set ?? []).flatMap((s) => ['--set', s])];
		if (extra.root) args.push('--config-set', `file=${JSON.stringify({ root: extra.root })}`);
		const { manifest } = writeIotoManifest(args);
		const out = path.join(work, `${name}-build`);
		fs.mkdirSync(out, { recursive: true });
		const mcconfig = platform === 'lin' ? ['-m', '-p', 'lin', '-o', out, manifest] : ['-p', platform, '-o', out, manifest];
		const result = await run(path.join(bin, 'mcconfig'), mcconfig, { cwd: manifestDir, env, timeout: 25 * MINUTES });
		if (result.code !== 0 || /typescript compile failure|### Error/.test(result.output)) throw new Error(`mcconfig ${mcconfig.join(' ')} failed:\n${result.output.slice(-6000)}`);
		return { out, manifest, output: result.output };
	}

	test('port-check passes every check on the real Moddable modules (lin, mcsim)', async (t) => {
		t.timeout(40 * MINUTES);
		const root = path.join(work, 'port-check-root') + path.sep;
		fs.mkdirSync(root);
		const { out } = await build('port-check', 'hosts/esp32/port-check/manifest.json', 'lin', { root, set: ['slotSize=262144', 'checkFlash=true'] });
		const traced = await runInSimulator(findLibrary(out), { display: xvfb!.display, configHome: path.join(work, 'xdg-port-check'), bin, until: /CHECKS DONE/, timeout: 2 * MINUTES });
		t.log(traced);
		for (const name of ['digest', 'signature', 'store', 'clock', 'flash', 'tls']) t.regex(traced, new RegExp(`CHECK ${name} ok`));
		t.regex(traced, /CHECKS DONE 0 failed/);
	});

	test('the example app updates itself from the cloud in the simulator, restarts into 1.1.0 and confirms it', async (t) => {
		t.timeout(40 * MINUTES);
		const root = path.join(work, 'example-root') + path.sep;
		fs.mkdirSync(root);
		const { out } = await build('example', 'hosts/esp32/example/manifest.json', 'lin', { root, set: ['slotSize=262144'] });
		const so = findLibrary(out);
		const launch = (until: RegExp) => runInSimulator(so, { display: xvfb!.display, configHome: path.join(work, 'xdg-example'), bin, until, timeout: 3 * MINUTES });
		const flash = path.join(root, 'updraft-flash');
		const record = () => JSON.parse(fs.readFileSync(path.join(flash, 'boot.json'), 'utf8'));

		const first = await launch(/restart requested/);
		t.log(first);
		t.regex(first, /example: running 1\.0\.0 on desktop/);
		t.regex(first, /example: installing 1\.1\.0 \(65536 bytes\) into slot1/);
		t.deepEqual(record(), { active: 1, state: 'new', slots: [{ kind: 'builtin' }, { kind: 'image', length: image.length, version: '1.1.0' }] }, 'slot1 boots next, to be tried');
		const slot = fs.readFileSync(path.join(flash, 'slot1.bin')).subarray(0, image.length);
		t.is(createHash('sha256').update(slot).digest('hex'), createHash('sha256').update(image).digest('hex'), 'the slot holds the release byte for byte');

		// The report goes to the cloud before the check that follows the boot: wait for that check.
		const second = await launch(/example: outcome none/);
		t.log(second);
		t.regex(second, /booted slot1: version 1\.1\.0 \(trial\)/);
		t.regex(second, /example: 1\.1\.0 runs on trial until its self-test passes[^]*example: outcome updated 1\.1\.0/);
		t.is(record().state, 'valid', 'confirmed: the bootloader keeps slot1');

		const reports = fs.readFileSync(path.join(cloudDir, 'reports.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
		t.true(reports.some((r) => r.id === 'moddable-sim-1' && r.success === true && r.version === '1.1.0'), JSON.stringify(reports));

		const third = await launch(/example: outcome none/);
		t.regex(third, /booted slot1: version 1\.1\.0 \(confirmed\)/, 'later boots run 1.1.0, confirmed, and find nothing newer');
	});

	test('the ESP32 build goes through mcconfig, tsc, xsc and xsl, with FFI, OTA partitions and rollback', async (t) => {
		t.timeout(40 * MINUTES);
		const { out } = await build('esp32', 'hosts/esp32/example/manifest.json', 'esp32');
		const tmp = path.join(out, 'tmp', 'esp32', 'release', 'esp32');
		t.true(fs.existsSync(path.join(tmp, 'makefile')), 'mcconfig wrote the makefile');
		// The makefile insists on an ESP-IDF checkout only to read its version: a git folder will do
		// for the stages that do not use ESP-IDF. The rule below runs them: every module through
		// tsc and xsc, then the XS linker.
		const idf = path.join(work, 'no-esp-idf');
		fs.mkdirSync(idf);
		spawnSync('git', ['init', '-q', idf]);
		spawnSync('git', ['-C', idf, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '--allow-empty', '-m', 'no ESP-IDF']);
		const stages = path.join(tmp, 'stages.mk');
		fs.writeFileSync(stages, 'include makefile\nupdraft-xs-stages: $(MODULES)\n\txsl -b $(MODULES_DIR) -o $(TMP_DIR)/xsl $(PRELOADS) $(STRIPS) $(CREATION) $(MODULES)\n');
		fs.mkdirSync(path.join(tmp, 'xsl'));
		const made = await run('make', ['-f', stages, 'updraft-xs-stages'], { cwd: tmp, env: moddableEnv(bin, { IDF_PATH: idf }), timeout: 30 * MINUTES });
		t.is(made.code, 0, made.output.slice(-6000));
		t.notRegex(made.output, /typescript compile failure/);
		t.true(fs.existsSync(path.join(tmp, 'xsl', 'mc.xs.c')), 'xsl linked the modules');
		for (const module of ['updraft/esp32/host', 'updraft/esp32/esp-ota', 'updraft/agent', 'main']) {
			t.true(fs.existsSync(path.join(tmp, 'modules', `${module}.xsb`)), `${module} compiled`);
		}
		const ffi = fs.readFileSync(path.join(tmp, 'mc.ffi.c'), 'utf8');
		for (const fn of ['updraft_ota_running_state', 'updraft_ota_activate', 'esp_ota_mark_app_valid_cancel_rollback', 'esp_ota_mark_app_invalid_rollback', 'esp_restart']) t.regex(ffi, new RegExp(`\\b${fn}\\(`));
		t.regex(fs.readFileSync(path.join(tmp, 'makefile'), 'utf8'), /updraft-ota\.c/, 'the native part is in the build');
		const partitions = fs.readFileSync(path.join(tmp, 'xsProj-esp32', 'partitions.csv'), 'utf8');
		for (const name of ['nvs', 'otadata', 'ota_0', 'ota_1']) t.regex(partitions, new RegExp(`^${name},`, 'm'));
		t.regex(fs.readFileSync(path.join(tmp, 'xsProj-esp32', 'sdkconfig.mc'), 'utf8'), /^CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE=y$/m);
	});
}
