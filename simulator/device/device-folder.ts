/*
 * A simulated device is a folder: Ioto's config files, the CA it trusts, its flash and its store
 * (layout in hosts/sim/host.ts). `initDevice` builds one with a factory image of the given
 * version in slot 0 and blank otadata, as a freshly flashed board would be.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import JSON5 from 'json5';
import { devicePaths } from '../../hosts/sim/host';
import { formatFlash } from '../../hosts/sim/flash/flash-folder';
import { DEFAULT_SECTOR_SIZE } from '../../hosts/sim/flash/layout';
import { writeFileAtomic } from '../../hosts/sim/atomic-file';
import { parseSemver } from '../../modules/semver';
import { makeImage } from '../image';

export interface InitDeviceOptions {
	dir: string;
	id: string;
	product: string;
	version: string;
	/** The device cloud's base URL (provision.api). */
	cloud: string;
	/** PEM of the CA the device trusts. */
	caPem: string;
	/** Token for the check-in (provision.token). */
	token: string;
	/** Extra device.json5 properties, sent with each check-in. */
	props?: Record<string, unknown>;
	/** Bytes per flash slot, rounded up to whole 4 KiB sectors as a partition table has them; default 16 MiB. */
	slotSize?: number;
	/**
	 * 'ota' (default): an ESP32-like device with two app slots and a bootloader. 'script': a
	 * Unix-like device installing through Ioto's scripts/update (no slots, no trial boot).
	 */
	kind?: DeviceKind;
	/** Release-signing public keys the device trusts (base64 raw P-256); none: signatures optional. */
	trustedKeys?: string[];
	/** Size of the factory image; default 64 KiB. */
	imageSize?: number;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;

export function initDevice(options: InitDeviceOptions): void {
	if (!ID.test(options.id)) throw new Error(`device id must be 1-64 characters of [A-Za-z0-9._-]: "${options.id}"`);
	if (!ID.test(options.product)) throw new Error(`product must be 1-64 characters of [A-Za-z0-9._-]: "${options.product}"`);
	if (!parseSemver(options.version)) throw new Error(`version is not SemVer 2.0: "${options.version}"`);
	if (!/^https:\/\//i.test(options.cloud)) throw new Error(`cloud URL must be https: "${options.cloud}"`);
	if (!options.caPem.includes('BEGIN CERTIFICATE')) throw new Error('the CA file holds no PEM certificate');
	if (fs.existsSync(options.dir) && fs.readdirSync(options.dir).length > 0) {
		throw new Error(`device folder ${options.dir} is not empty`);
	}
	const paths = devicePaths(options.dir);
	fs.mkdirSync(paths.config, { recursive: true });
	fs.mkdirSync(paths.state, { recursive: true });
	const json5 = (value: unknown) => `${JSON5.stringify(value, null, 4)}\n`;
	writeFileAtomic(`${paths.config}/ioto.json5`, json5({
		version: options.version,
		services: { update: true },
		update: {
			enable: true, period: '24 hrs', schedule: 'anytime', jitter: 0, throttle: 0, apply: 'anytime',
			// Signed releases only when the device is given keys to trust; otherwise it talks to the
			// cloud as a plain Ioto device would.
			...(options.trustedKeys?.length ? { signatures: 'required', keys: options.trustedKeys } : { signatures: 'optional' }),
		},
		timeouts: { api: '30 secs', download: '4 hrs' },
		...(options.kind === 'script' ? { scripts: { update: 'scripts/update' } } : {}),
	}));
	const reserved = new Set(['id', 'product', 'version', 'iotoVersion']);
	for (const key of Object.keys(options.props ?? {})) {
		if (reserved.has(key)) throw new Error(`--prop ${key} is set by the device itself`);
	}
	writeFileAtomic(`${paths.config}/device.json5`, json5({ id: options.id, product: options.product, ...options.props }));
	writeFileAtomic(`${paths.config}/provision.json5`, json5({ api: options.cloud, token: options.token }), 0o600);
	writeFileAtomic(paths.ca, options.caPem);
	const factory = makeImage({ product: options.product, version: options.version }, options.imageSize);
	if (options.kind === 'script') {
		initScriptDevice(options.dir, factory);
		return;
	}
	const slotSize = options.slotSize ?? 16 * 1024 * 1024;
	if (!Number.isSafeInteger(slotSize) || slotSize <= 0) throw new Error(`slot size must be a positive number of bytes, not ${slotSize}`);
	const sectors = Math.ceil(slotSize / DEFAULT_SECTOR_SIZE);
	formatFlash(paths.flash, sectors * DEFAULT_SECTOR_SIZE, factory);
}

export type DeviceKind = 'ota' | 'script';

/**
 * A Unix-like device: its firmware is firmware/current.bin, and scripts/update installs a new
 * image by replacing it, then answers "restart", as an Ioto device's update script would.
 */
function initScriptDevice(dir: string, factory: Uint8Array): void {
	const paths = scriptDevicePaths(dir);
	fs.mkdirSync(path.dirname(paths.firmware), { recursive: true });
	fs.mkdirSync(path.dirname(paths.script), { recursive: true });
	writeFileAtomic(paths.firmware, factory);
	writeFileAtomic(paths.script, [
		'#!/bin/sh',
		'# Install an Updraft image (the simulator\'s stand-in for the device\'s own installer).',
		'set -e',
		'dir="$(dirname "$0")/.."',
		'cp "$1" "$dir/firmware/current.new"',
		'mv "$dir/firmware/current.new" "$dir/firmware/current.bin"',
		'echo restart',
		'',
	].join('\n'), 0o755);
}

/** Where a script-installed device keeps its firmware, its installer and the download. */
export function scriptDevicePaths(dir: string) {
	return {
		firmware: path.join(dir, 'firmware', 'current.bin'),
		script: path.join(dir, 'scripts', 'update'),
		download: path.join(devicePaths(dir).state, 'update.bin'),
	};
}
