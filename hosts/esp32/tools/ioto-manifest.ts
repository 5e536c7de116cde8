/*
 * ioto-manifest: turn an Ioto config folder (ioto.json5, device.json5, provision.json5, ca.pem)
 * into a manifest for an mcconfig build, at build time:
 *
 *   npx tsx hosts/esp32/tools/ioto-manifest.ts --config DIR --out DIR [--app MANIFEST]
 *       [--version V] [--set KEY=JSON]... [--config-set KEY=JSON]...
 *
 * It writes OUT/manifest.json (config.updraft and the CA as a data resource) and
 * OUT/updraft-ca.der. With --app, the manifest includes the app's, so `mcconfig OUT/manifest.json`
 * builds the app with this configuration; without, an app includes OUT/manifest.json itself.
 * Trusted release keys come from ioto.json5 `update.keys` like every other update setting. --set
 * adds config.updraft keys (log, domain, slotSize...), --config-set top-level config keys (ssid,
 * password, sntp, file), both as KEY=JSON.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { parseArgs } from 'node:util';
import JSON5 from 'json5';
import { configManifest, type IotoFiles } from '../ioto-config';

export interface IotoManifestResult {
	manifest: string;
	ca: string;
}

export function writeIotoManifest(argv: string[]): IotoManifestResult {
	const { values } = parseArgs({
		args: argv,
		options: {
			config: { type: 'string' },
			out: { type: 'string' },
			app: { type: 'string' },
			version: { type: 'string' },
			set: { type: 'string', multiple: true },
			'config-set': { type: 'string', multiple: true },
		},
		strict: true,
	});
	if (!values.config || !values.out) throw new Error('usage: ioto-manifest --config DIR --out DIR [--app MANIFEST] [--version V] [--set KEY=JSON]... [--config-set KEY=JSON]...');
	const dir = values.config;
	const files: IotoFiles = {
		ioto: readJson5(path.join(dir, 'ioto.json5'), false),
		device: readJson5(path.join(dir, 'device.json5'), true) as Record<string, unknown>,
		provision: readJson5(path.join(dir, 'provision.json5'), true) as Record<string, unknown>,
	};
	const caPem = readText(path.join(dir, 'ca.pem'));
	let ca: X509Certificate;
	try {
		ca = new X509Certificate(caPem);
	} catch (error) {
		throw new Error(`${path.join(dir, 'ca.pem')} is not a PEM certificate: ${(error as Error).message}`);
	}
	const manifest = configManifest({
		files,
		version: values.version,
		include: values.app ? [path.resolve(values.app)] : undefined,
		extra: assignments(values.set ?? [], '--set'),
		config: assignments(values['config-set'] ?? [], '--config-set'),
	});
	const out = path.resolve(values.out);
	fs.mkdirSync(out, { recursive: true });
	const caFile = path.join(out, 'updraft-ca.der');
	fs.writeFileSync(caFile, ca.raw);
	const manifestFile = path.join(out, 'manifest.json');
	fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, '\t')}\n`);
	return { manifest: manifestFile, ca: caFile };
}

function readText(file: string): string {
	try {
		return fs.readFileSync(file, 'utf8');
	} catch (error) {
		throw new Error(`cannot read ${file}: ${(error as Error).message}`);
	}
}

function readJson5(file: string, required: boolean): Record<string, unknown> | undefined {
	if (!required && !fs.existsSync(file)) return undefined;
	let value: unknown;
	try {
		value = JSON5.parse(readText(file));
	} catch (error) {
		throw new Error(`${file} is not valid JSON5: ${(error as Error).message}`);
	}
	if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file} must hold an object`);
	return value as Record<string, unknown>;
}

function assignments(items: string[], option: string): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const item of items) {
		const eq = item.indexOf('=');
		if (eq <= 0) throw new Error(`${option} takes KEY=JSON, not ${JSON.stringify(item)}`);
		try {
			out[item.slice(0, eq)] = JSON.parse(item.slice(eq + 1));
		} catch {
			throw new Error(`${option} ${item.slice(0, eq)}: the value is not JSON`);
		}
	}
	return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
	try {
		const result = writeIotoManifest(process.argv.slice(2));
		process.stdout.write(`${JSON.stringify(result)}\n`);
	} catch (error) {
		process.stderr.write(`ioto-manifest: ${(error as Error).message}\n`);
		process.exitCode = 1;
	}
}
