/* The digest port over node:crypto. */
import { createHash } from 'node:crypto';
import type { DigestPort } from '../../modules/ports';

export const nodeDigest: DigestPort = {
	create(algorithm) {
		if (algorithm !== 'SHA256') throw new RangeError(`unsupported digest "${algorithm}"`);
		const hash = createHash('sha256');
		return {
			write(bytes) {
				hash.update(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes);
			},
			close() {
				const out = hash.digest();
				return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
			},
		};
	},
};
