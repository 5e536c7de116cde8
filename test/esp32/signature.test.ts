/*
 * The ESP32 host's signature port: ECDSA P-256 / SHA-256 over a backend (Moddable's ECDSA on the
 * device; Node's crypto here), with the key and signature checks Moddable's ECDSA leaves out.
 */
import test from 'ava';
import { createHash, generateKeyPairSync, sign, verify, createPublicKey } from 'node:crypto';
import { createSignaturePort, isPublicKey, isSignature, type EcdsaBackend } from '../../hosts/esp32/signature';

/** Node's ECDSA as the backend; it verifies the message it was last asked to hash. */
function nodeBackend() {
	let message: Uint8Array = new Uint8Array(0);
	const calls: string[] = [];
	const backend: EcdsaBackend = {
		sha256(m) {
			message = m;
			const digest = createHash('sha256').update(m).digest();
			return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.length) as ArrayBuffer;
		},
		verify(_digest, publicKey, signature) {
			calls.push('verify');
			const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(publicKey.subarray(1, 33)).toString('base64url'), y: Buffer.from(publicKey.subarray(33)).toString('base64url') }, format: 'jwk' });
			return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
		},
	};
	return { backend, calls };
}

function keyPair() {
	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const jwk = publicKey.export({ format: 'jwk' });
	const raw = new Uint8Array([4, ...Buffer.from(jwk.x!, 'base64url'), ...Buffer.from(jwk.y!, 'base64url')]);
	const signer = (message: Uint8Array) => new Uint8Array(sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
	return { raw, signer };
}

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const message = new TextEncoder().encode('release manifest');

test('a signature by the key verifies; another message or key does not', (t) => {
	const { backend } = nodeBackend();
	const port = createSignaturePort(backend);
	const { raw, signer } = keyPair();
	const signature = signer(message);
	t.true(port.verify(raw, message, signature));
	t.false(port.verify(raw, new TextEncoder().encode('release manifesT'), signature));
	t.false(port.verify(keyPair().raw, message, signature));
});

test('the RFC 6979 P-256/SHA-256 vector for "sample" verifies (port-check uses it on the device)', (t) => {
	const key = hex('0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299');
	const signature = hex('efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');
	t.true(createSignaturePort(nodeBackend().backend).verify(key, new TextEncoder().encode('sample'), signature));
});

test('generated keys are on the curve (the check agrees with Node)', (t) => {
	for (let i = 0; i < 20; i++) t.true(isPublicKey(keyPair().raw));
});

const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const p = BigInt('0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff');
const be32 = (v: bigint) => hex(v.toString(16).padStart(64, '0'));
const join = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((x) => [...x]));

// Malformed keys, refused before the backend is asked: [what, key from a good one]
const badKeys: [string, (good: Uint8Array) => unknown][] = [
	['64 bytes', (k) => k.subarray(1)],
	['66 bytes', (k) => join(k, Uint8Array.of(0))],
	['compressed prefix', (k) => join(Uint8Array.of(2), k.subarray(1))],
	['X = p', (k) => join(Uint8Array.of(4), be32(p), k.subarray(33))],
	['off the curve', (k) => { const c = k.slice(); c[64] ^= 1; return c; }],
	['not bytes', (k) => [...k]],
];
// Malformed signatures: [what, signature from a good one]
const badSignatures: [string, (good: Uint8Array) => unknown][] = [
	['63 bytes', (s) => s.subarray(1)],
	['DER instead of r || s', (s) => join(Uint8Array.of(0x30, 0x44), s)],
	['r = 0', (s) => join(be32(0n), s.subarray(32))],
	['s = 0', (s) => join(s.subarray(0, 32), be32(0n))],
	['r = n', (s) => join(be32(n), s.subarray(32))],
	['s = n + 1', (s) => join(s.subarray(0, 32), be32(n + 1n))],
];
for (const [what, bend] of badKeys) {
	test(`a malformed key is false, never an exception: ${what}`, (t) => {
		const { backend, calls } = nodeBackend();
		const { raw, signer } = keyPair();
		t.false(createSignaturePort(backend).verify(bend(raw) as Uint8Array, message, signer(message)));
		t.deepEqual(calls, []);
	});
}
for (const [what, bend] of badSignatures) {
	test(`a malformed signature is false, never an exception: ${what}`, (t) => {
		const { backend, calls } = nodeBackend();
		const { raw, signer } = keyPair();
		t.false(isSignature(bend(signer(message))));
		t.false(createSignaturePort(backend).verify(raw, message, bend(signer(message)) as Uint8Array));
		t.deepEqual(calls, []);
	});
}

test('a backend that throws gives false', (t) => {
	const port = createSignaturePort({ sha256: () => new ArrayBuffer(32), verify: () => { throw new Error('unsupported format'); } });
	const { raw, signer } = keyPair();
	t.false(port.verify(raw, message, signer(message)));
	t.false(port.verify(raw, 'text' as unknown as Uint8Array, signer(message)));
});
