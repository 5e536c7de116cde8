/*
 * The simulated bootloader: load the image the boot record names and say which firmware runs.
 * An image that does not parse (or belongs to another product) cannot boot: the device is bricked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import JSON5 from 'json5';
import { devicePaths } from '../../hosts/sim/host';
import { readActiveImage, readBootRecord } from '../../hosts/sim/file-flash';
import { writeFileAtomic } from '../../hosts/sim/atomic-file';
import { readImageHeader, type ImageHeader } from '../image';

export class BootError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'BootError';
	}
}

export interface BootedFirmware extends ImageHeader {
	slot: number;
}

export function bootDevice(dir: string): BootedFirmware {
	const paths = devicePaths(dir);
	let record;
	try {
		record = readBootRecord(paths.flash);
	} catch (error) {
		throw new BootError(`no boot record: ${(error as Error).message}`);
	}
	const header = readImageHeader(readActiveImage(paths.flash));
	if (!header) throw new BootError(`slot${record.active} holds no bootable image`);
	const ioto = path.join(paths.config, 'ioto.json5');
	const config = JSON5.parse(fs.readFileSync(ioto, 'utf8')) as Record<string, unknown>;
	const device = JSON5.parse(fs.readFileSync(path.join(paths.config, 'device.json5'), 'utf8')) as Record<string, unknown>;
	if (device.product !== undefined && device.product !== header.product) {
		throw new BootError(`slot${record.active} holds firmware for product ${header.product}, not ${String(device.product)}`);
	}
	// The running firmware carries its own ioto.json5 version; keep the file in step with it.
	if (config.version !== header.version) {
		writeFileAtomic(ioto, `${JSON5.stringify({ ...config, version: header.version }, null, 4)}\n`);
	}
	return { ...header, slot: record.active };
}
