/*
 * The agent's SignaturePort: ECDSA P-256 with SHA-256, checked by Moddable's ECDSA (modules
 * "ecdsa", "curve", "ecp") through a backend passed in, so the checks here run under test too.
 *
 * Moddable's ECDSA.verify trusts its inputs: it neither checks that the key is a point of the
 * curve nor that r and s lie in [1, n-1] (s = 0 has no inverse). Both are checked here first, so
 * a malformed key or signature is a plain false, never an exception or a false positive.
 */
import type { SignaturePort } from '../../modules/ports';

export interface EcdsaBackend {
	/** SHA-256 of the message. */
	sha256(message: Uint8Array): ArrayBuffer;
	/** ECDSA verification of a digest with a checked key (65 bytes) and signature (64 bytes, r || s). */
	verify(digest: ArrayBuffer, publicKey: Uint8Array, signature: Uint8Array): boolean;
}

// secp256r1 (NIST P-256), SEC 2 §2.4.2.
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

export function createSignaturePort(backend: EcdsaBackend): SignaturePort {
	return {
		verify(publicKey, message, signature) {
			if (!(message instanceof Uint8Array) || !isPublicKey(publicKey) || !isSignature(signature)) return false;
			try {
				return backend.verify(backend.sha256(message), publicKey, signature) === true;
			} catch {
				return false;
			}
		},
	};
}

/** An uncompressed P-256 point 0x04 || X || Y that lies on the curve. */
export function isPublicKey(key: unknown): key is Uint8Array {
	if (!(key instanceof Uint8Array) || key.byteLength !== 65 || key[0] !== 0x04) return false;
	const x = toBigInt(key, 1, 33);
	const y = toBigInt(key, 33, 65);
	if (x >= P || y >= P) return false;
	// y^2 = x^3 - 3x + b (mod p)
	return (y * y) % P === (((x * x % P) * x - 3n * x + B) % P + P) % P;
}

/** r || s, each 32 bytes, both in [1, n-1]. */
export function isSignature(signature: unknown): signature is Uint8Array {
	if (!(signature instanceof Uint8Array) || signature.byteLength !== 64) return false;
	const r = toBigInt(signature, 0, 32);
	const s = toBigInt(signature, 32, 64);
	return r > 0n && r < N && s > 0n && s < N;
}

function toBigInt(bytes: Uint8Array, start: number, end: number): bigint {
	let value = 0n;
	for (let i = start; i < end; i++) value = (value << 8n) | BigInt(bytes[i]);
	return value;
}
