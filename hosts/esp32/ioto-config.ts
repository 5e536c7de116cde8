/*
 * Ioto's device configuration (config/ioto.json5, device.json5, provision.json5) turned into the
 * manifest an mcconfig build needs: config.updraft (read on the device through mc/config, see
 * host-config.ts) and the cloud's CA as a data resource. The files are parsed by the caller
 * (tools/ioto-manifest.ts reads them with JSON5); this is the mapping, kept free of Node so that
 * it is tested on its own.
 */

export interface IotoFiles {
	/** ioto.json5: `version` (the firmware's), `services`, `update`, `timeouts`. Optional. */
	ioto?: Record<string, unknown>;
	/** device.json5: the properties sent with every check-in. */
	device: Record<string, unknown>;
	/** provision.json5: `api` and `token`. */
	provision: Record<string, unknown>;
}

export interface ConfigManifestOptions {
	files: IotoFiles;
	/** The firmware version of the build; default ioto.json5 `version`, else "1.0.0" as in Ioto. */
	version?: string;
	/** Name of the CA's DER file, written next to the manifest. Default "updraft-ca.der". */
	caFile?: string;
	/** Manifests to include, making this the top-level manifest of a build (an app's manifest). */
	include?: string[];
	/** More config.updraft keys (domain, log, slotSize, flashPath). */
	extra?: Record<string, unknown>;
	/** More top-level config keys (file.root for a desktop build, ssid, password, sntp). */
	config?: Record<string, unknown>;
}

export interface ConfigManifest {
	include?: string[];
	config: Record<string, unknown>;
	data: { '*': string[] };
}

export function configManifest(options: ConfigManifestOptions): ConfigManifest {
	const { files } = options;
	const ioto = files.ioto ?? {};
	if (!isObject(files.device)) throw new Error('device.json5 must hold an object of device properties');
	if (!isObject(files.provision)) throw new Error('provision.json5 must hold an object');
	const { api, token } = files.provision;
	if (typeof api !== 'string' || !/^https:\/\//i.test(api)) throw new Error('provision.json5: "api" must be the https URL of the device cloud');
	if (typeof token !== 'string' || token === '') throw new Error('provision.json5: "token" is missing');
	if (typeof files.device.id !== 'string' || files.device.id === '') throw new Error('device.json5: "id" is missing');
	const version = options.version ?? ioto.version ?? '1.0.0';
	if (typeof version !== 'string') throw new Error('ioto.json5: "version" must be a string');
	const caFile = options.caFile ?? 'updraft-ca.der';
	if (!/^[\w-]+\.der$/.test(caFile)) throw new Error(`the CA file name must be a plain name ending in .der, not ${JSON.stringify(caFile)}`);

	const updraft: Record<string, unknown> = {
		version,
		provision: { api, token },
		device: files.device,
		ca: caFile,
	};
	for (const section of ['services', 'update', 'timeouts'] as const) {
		const value = ioto[section];
		if (value === undefined) continue;
		if (!isObject(value)) throw new Error(`ioto.json5: "${section}" must be an object`);
		updraft[section] = section === 'services' ? pick(value, ['update']) : value;
	}
	Object.assign(updraft, options.extra);

	const manifest: ConfigManifest = {
		config: { ...options.config, updraft },
		data: { '*': [`./${caFile.slice(0, -'.der'.length)}`] },
	};
	if (options.include?.length) manifest.include = options.include;
	return manifest;
}

function isObject(value: unknown): value is Record<string, unknown> {
	return !!value && typeof value === 'object' && !Array.isArray(value);
}

function pick(value: Record<string, unknown>, keys: string[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
	return out;
}
