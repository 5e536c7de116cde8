/*
 * The signature port over node:crypto: ECDSA P-256 with SHA-256, raw keys and r || s signatures,
 * as Moddable's crypt verifies them on a device. Anything malformed verifies as false.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { SignaturePort } from '../../modules/ports';

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export const nodeSignature: SignaturePort = {
	verify(publicKey, message, signature) {
		if (publicKey.length !== 65 || publicKey[0] !== 4 || signature.length !== 64) return false;
		try {
			const key = createPublicKey({
				key: { kty: 'EC', crv: 'P-256', x: b64url(publicKey.subarray(1, 33)), y: b64url(publicKey.subarray(33, 65)) },
				format: 'jwk',
			});
			return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
		} catch {
			return false;
		}
	},
};
