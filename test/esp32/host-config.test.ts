/*
 * The ESP32 host's configuration: config.updraft as the app manifest carries it (host-config.ts),
 * and its generation from Ioto's config files at build time (ioto-config.ts, tools/ioto-manifest.ts).
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { readHostConfig, DEFAULT_SLOT_SIZE } from '../../hosts/esp32/host-config';
import { configManifest } from '../../hosts/esp32/ioto-config';
import { writeIotoManifest } from '../../hosts/esp32/tools/ioto-manifest';
import { ensureCloudTls } from '../../simulator/tls/certificates';

const updraft = {
	version: '1.0.0',
	provision: { api: 'https://cloud.example:8443', token: 't0k' },
	device: { id: 'dev1', product: 'sensor', memory: 256 },
};
const config = (u: Record<string, unknown> | undefined = updraft) => ({ file: { root: '/tmp/' }, updraft: u });

test('a minimal config: the agent config, and the host defaults', (t) => {
	const c = readHostConfig(config());
	t.deepEqual(c.agent, { provision: updraft.provision, device: updraft.device });
	t.is(c.version, '1.0.0');
	t.is(c.ca, 'updraft-ca.der');
	t.is(c.domain, 'updraft');
	t.is(c.log, 'info');
	t.is(c.slotSize, DEFAULT_SLOT_SIZE);
	t.is(c.flashPath, '/tmp/updraft-flash/');
});

test('Ioto update settings pass to the agent as they are', (t) => {
	const update = { period: '6 hrs', keys: ['BASE64KEY'], signatures: 'required' };
	const c = readHostConfig(config({ ...updraft, update, services: { update: true }, timeouts: { api: '10 secs' } }));
	t.deepEqual(c.agent.update, update);
	t.deepEqual(c.agent.services, { update: true });
	t.deepEqual(c.agent.timeouts, { api: '10 secs' });
});

// Configs refused, and the key each error must name: [config.updraft, message]
const bad: [unknown, RegExp][] = [
	[undefined, /config\.updraft .*must be an object/],
	[{ ...updraft, version: 'v1' }, /config\.updraft\.version must be this build's SemVer/],
	[{ ...updraft, version: undefined }, /config\.updraft\.version/],
	[{ ...updraft, provision: { api: 'http://x', token: 't' } }, /config\.updraft\.provision\.api must be the https URL/],
	[{ ...updraft, provision: { api: 'https://x', token: '' } }, /config\.updraft\.provision\.token is missing/],
	[{ ...updraft, device: { product: 'p' } }, /config\.updraft\.device\.id is missing/],
	[{ ...updraft, device: [] }, /config\.updraft\.device must be an object/],
	[{ ...updraft, update: 'often' }, /config\.updraft\.update must be an object/],
	[{ ...updraft, ca: '../ca.der' }, /config\.updraft\.ca must name the CA certificate resource/],
	[{ ...updraft, domain: 'a-domain-of-16ch' }, /config\.updraft\.domain must be 1 to 15 characters/],
	[{ ...updraft, log: 'loud' }, /config\.updraft\.log must be one of debug, info, warn, error/],
	[{ ...updraft, slotSize: 1000 }, /config\.updraft\.slotSize must be a positive multiple of 4096/],
	[{ ...updraft, flashPath: '/no/slash' }, /config\.updraft\.flashPath must be a folder path ending in "\/"/],
];
for (const [u, message] of bad) {
	test(`a bad config is refused, naming ${message.source.slice(0, 40)}`, (t) => {
		t.throws(() => readHostConfig({ file: { root: '/tmp/' }, updraft: u }), { message });
	});
}

test('without file.root (a board build) there is no desktop flash folder, unless given', (t) => {
	t.is(readHostConfig({ updraft }).flashPath, undefined);
	t.is(readHostConfig({ updraft: { ...updraft, flashPath: '/data/' } }).flashPath, '/data/');
});

test('Ioto files become config.updraft and the CA a data resource', (t) => {
	const manifest = configManifest({
		files: {
			ioto: { version: '2.0.0', services: { update: true, mqtt: true }, update: { period: '1 hr' }, timeouts: { api: '5 secs' }, database: {} },
			device: { id: 'd', product: 'p' },
			provision: { api: 'https://c', token: 'tok', certificate: 'ignored' },
		},
		include: ['/app/manifest.json'],
		extra: { log: 'debug' },
		config: { ssid: 'lab' },
	});
	t.deepEqual(manifest, {
		include: ['/app/manifest.json'],
		config: {
			ssid: 'lab',
			updraft: {
				version: '2.0.0',
				provision: { api: 'https://c', token: 'tok' },
				device: { id: 'd', product: 'p' },
				ca: 'updraft-ca.der',
				services: { update: true },
				update: { period: '1 hr' },
				timeouts: { api: '5 secs' },
				log: 'debug',
			},
		},
		data: { '*': ['./updraft-ca'] },
	});
	const plain = configManifest({ files: { device: { id: 'd' }, provision: { api: 'https://c', token: 't' } }, version: '3.1.4' });
	t.is((plain.config.updraft as { version: string }).version, '3.1.4');
	t.false('include' in plain);
	t.is((configManifest({ files: { device: { id: 'd' }, provision: { api: 'https://c', token: 't' } } }).config.updraft as { version: string }).version, '1.0.0', "Ioto's default version");
});

// Ioto files refused: [files, message]
const badFiles: [Parameters<typeof configManifest>[0]['files'], RegExp][] = [
	[{ device: { id: 'd' }, provision: { api: 'http://c', token: 't' } }, /provision\.json5: "api" must be the https URL/],
	[{ device: { id: 'd' }, provision: { api: 'https://c' } }, /provision\.json5: "token" is missing/],
	[{ device: { product: 'p' }, provision: { api: 'https://c', token: 't' } }, /device\.json5: "id" is missing/],
	[{ ioto: { update: 'x' }, device: { id: 'd' }, provision: { api: 'https://c', token: 't' } }, /ioto\.json5: "update" must be an object/],
	[{ ioto: { version: 2 }, device: { id: 'd' }, provision: { api: 'https://c', token: 't' } }, /ioto\.json5: "version" must be a string/],
];
for (const [files, message] of badFiles) {
	test(`Ioto files are refused: ${message.source.slice(0, 40)}`, (t) => {
		t.throws(() => configManifest({ files }), { message });
	});
}

test('ioto-manifest writes the manifest and the CA in DER from a config folder', async (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-ioto-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	const tls = await ensureCloudTls(path.join(dir, 'cloud'));
	const config = path.join(dir, 'config');
	fs.mkdirSync(config);
	fs.writeFileSync(path.join(config, 'ca.pem'), tls.caPem);
	fs.writeFileSync(path.join(config, 'provision.json5'), "{api: 'https://localhost:8443', token: 'abc', // provisioned\n}");
	fs.writeFileSync(path.join(config, 'device.json5'), "{id: 'dev1', product: 'sensor'}");
	const out = path.join(dir, 'out');
	const result = writeIotoManifest(['--config', config, '--out', out, '--app', 'hosts/esp32/example/manifest.json', '--set', 'log="debug"', '--config-set', 'file={"root":"/tmp/x/"}']);
	t.deepEqual(new Uint8Array(fs.readFileSync(result.ca)), new Uint8Array(new X509Certificate(tls.caPem).raw));
	const manifest = JSON.parse(fs.readFileSync(result.manifest, 'utf8'));
	t.deepEqual(manifest.include, [path.resolve('hosts/esp32/example/manifest.json')]);
	t.is(manifest.config.updraft.provision.token, 'abc');
	t.is(manifest.config.updraft.version, '1.0.0');
	t.is(manifest.config.updraft.log, 'debug');
	t.deepEqual(manifest.config.file, { root: '/tmp/x/' });
	t.deepEqual(manifest.data, { '*': ['./updraft-ca'] });
	// And the host reads what it wrote.
	t.is(readHostConfig(manifest.config).agent.provision.api, 'https://localhost:8443');

	t.throws(() => writeIotoManifest(['--config', path.join(dir, 'nowhere'), '--out', out]), { message: /cannot read .*device\.json5|cannot read .*provision\.json5/ });
	t.throws(() => writeIotoManifest(['--config', config]), { message: /usage/ });
	t.throws(() => writeIotoManifest(['--config', config, '--out', out, '--set', 'log']), { message: /KEY=JSON/ });
	fs.writeFileSync(path.join(config, 'ca.pem'), 'not a certificate');
	t.throws(() => writeIotoManifest(['--config', config, '--out', out]), { message: /ca\.pem is not a PEM certificate/ });
});
