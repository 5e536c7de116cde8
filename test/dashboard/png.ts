/*
 * Just enough PNG decoding to look at a browser's screenshot: 8-bit RGB or RGBA, not interlaced
 * (what Chromium writes), into RGBA pixels.
 */
import { inflateSync } from 'node:zlib';

export interface Image {
	width: number;
	height: number;
	/** RGBA, row by row. */
	pixels: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function decodePng(file: Buffer): Image {
	if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
	let width = 0;
	let height = 0;
	let channels = 0;
	const data: Buffer[] = [];
	for (let at = 8; at < file.length;) {
		const length = file.readUInt32BE(at);
		const type = file.toString('latin1', at + 4, at + 8);
		const body = file.subarray(at + 8, at + 8 + length);
		if (type === 'IHDR') {
			width = body.readUInt32BE(0);
			height = body.readUInt32BE(4);
			const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
			if (depth !== 8 || interlace !== 0 || (colour !== 2 && colour !== 6)) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
			channels = colour === 6 ? 4 : 3;
		} else if (type === 'IDAT') {
			data.push(body);
		} else if (type === 'IEND') {
			break;
		}
		at += 12 + length;
	}
	const raw = inflateSync(Buffer.concat(data));
	const stride = width * channels;
	const rows = new Uint8Array(height * stride);
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)]!;
		const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
		for (let x = 0; x < stride; x++) {
			const a = x >= channels ? rows[y * stride + x - channels]! : 0;
			const b = y > 0 ? rows[(y - 1) * stride + x]! : 0;
			const c = x >= channels && y > 0 ? rows[(y - 1) * stride + x - channels]! : 0;
			let predicted: number;
			switch (filter) {
				case 0: predicted = 0; break;
				case 1: predicted = a; break;
				case 2: predicted = b; break;
				case 3: predicted = (a + b) >> 1; break;
				case 4: {
					const p = a + b - c;
					const pa = Math.abs(p - a);
					const pb = Math.abs(p - b);
					const pc = Math.abs(p - c);
					predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
					break;
				}
				default: throw new Error(`bad PNG filter ${filter} on row ${y}`);
			}
			rows[y * stride + x] = (line[x]! + predicted) & 0xff;
		}
	}
	const pixels = new Uint8Array(width * height * 4);
	for (let i = 0; i < width * height; i++) {
		pixels[i * 4] = rows[i * channels]!;
		pixels[i * 4 + 1] = rows[i * channels + 1]!;
		pixels[i * 4 + 2] = rows[i * channels + 2]!;
		pixels[i * 4 + 3] = channels === 4 ? rows[i * channels + 3]! : 255;
	}
	return { width, height, pixels };
}

/** Pixels within `tolerance` (per channel) of the colour `#rrggbb`, in the box given (default all). */
export function countColour(image: Image, hex: string, box = { x: 0, y: 0, width: image.width, height: image.height }, tolerance = 40): number {
	const r = parseInt(hex.slice(1, 3), 16);
	const g = parseInt(hex.slice(3, 5), 16);
	const b = parseInt(hex.slice(5, 7), 16);
	let n = 0;
	for (let y = box.y; y < box.y + box.height; y++) {
		for (let x = box.x; x < box.x + box.width; x++) {
			const i = (y * image.width + x) * 4;
			if (Math.abs(image.pixels[i]! - r) <= tolerance && Math.abs(image.pixels[i + 1]! - g) <= tolerance && Math.abs(image.pixels[i + 2]! - b) <= tolerance) n++;
		}
	}
	return n;
}
