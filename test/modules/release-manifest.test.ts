/*
 * Signed releases on the device: the shared ECDSA vectors through the simulator's verifier, and
 * every way verifyManifest and checkImage refuse a release.
 */
import test from 'ava';
import * as fs from 'node:fs';
import { createPrivateKey, sign } from 'node:crypto';
import { nodeSignature } from '../../hosts/sim/node-signature';
import { nodeDigest } from '../../hosts/sim/node-digest';
import { base64Decode, base64Encode } from '../../modules/base64';
import { keyId, trustedKeys, verifyManifest, checkImage, type SignedManifest } from '../../modules/release-manifest';
import type { ReleaseOffer } from '../../modules/checkin';
import type { UpdateError } from '../../modules/reasons';

interface Vectors {
	keys: { private: string; public: string; keyid: string }[];
	manifest: string;
	signatures: { keyid: string; sig: string }[];
	verify: [string, number, string, string, boolean][];
}
const vectors = JSON.parse(fs.readFileSync(new URL('../fixtures/signature-vectors.json', import.meta.url), 'utf8')) as Vectors;

for (const [what, key, message, signature, valid] of vectors.verify) {
	test(`vector: ${what} → ${valid ? 'valid' : 'invalid'}`, (t) => {
		t.is(nodeSignature.verify(base64Decode(vectors.keys[key].public), new TextEncoder().encode(message), base64Decode(signature)), valid);
	});
}

test('key ids are the first 8 bytes of SHA-256 of the raw key', (t) => {
	for (const k of vectors.keys) t.is(keyId(nodeDigest, base64Decode(k.public)), k.keyid);
});

test('malformed keys and signatures verify as false, never throw', (t) => {
	const key = base64Decode(vectors.keys[0].public);
	const message = new TextEncoder().encode(vectors.manifest);
	const sig = base64Decode(vectors.signatures[0].sig);
	t.false(nodeSignature.verify(key.subarray(1), message, sig));
	t.false(nodeSignature.verify(new Uint8Array(65).fill(4), message, sig), 'not a point on the curve');
	t.false(nodeSignature.verify(key, message, sig.subarray(1)));
});

test('base64 round-trips against Buffer and refuses bad input', (t) => {
	for (let n = 0; n < 70; n++) {
		const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
		const text = base64Encode(bytes);
		t.is(text, Buffer.from(bytes).toString('base64'));
		t.deepEqual([...base64Decode(text)], [...bytes]);
	}
	t.throws(() => base64Decode('ab$c'), { instanceOf: RangeError });
	t.throws(() => base64Decode('abcde'), { instanceOf: RangeError });
});

test('trusted keys in configuration must be raw P-256 points', (t) => {
	t.is(trustedKeys(nodeDigest, [vectors.keys[1].public])[0].keyid, vectors.keys[1].keyid);
	t.throws(() => trustedKeys(nodeDigest, ['not base64!']), { message: /update\.keys\[0\] is not base64/ });
	t.throws(() => trustedKeys(nodeDigest, [Buffer.alloc(33, 2).toString('base64')]), { message: /raw uncompressed P-256/ });
});

// The vectors' manifest: product vector-sensor, version 2.0.0, release rel-0001, 4096 bytes, sha256 ab..., expires 2100.
const offer: ReleaseOffer = { url: 'https://cdn/x', checksum: 'ab'.repeat(32), version: '2.0.0', update: 'rel-0001', size: 4096 };
const keys = trustedKeys(nodeDigest, vectors.keys.slice(0, 2).map((k) => k.public));
const context = { keys, threshold: 1, signature: nodeSignature, product: 'vector-sensor', now: Date.UTC(2030, 0, 1) };
const signWith = (index: number, text: string) => ({
	keyid: vectors.keys[index].keyid,
	sig: sign('sha256', Buffer.from(text), { key: createPrivateKey(vectors.keys[index].private), dsaEncoding: 'ieee-p1363' }).toString('base64'),
});
const signedBy = (text: string, ...indexes: number[]): SignedManifest => ({ manifest: text, signatures: indexes.map((i) => signWith(i, text)) });
const edit = (change: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(vectors.manifest), ...change });

test('a release signed by a trusted key verifies', (t) => {
	const manifest = verifyManifest(offer, { manifest: vectors.manifest, signatures: [vectors.signatures[0]] }, context);
	t.like(manifest, { product: 'vector-sensor', version: '2.0.0', size: 4096 });
	t.notThrows(() => verifyManifest(offer, { manifest: vectors.manifest, signatures: vectors.signatures }, { ...context, threshold: 2 }));
});

// Every rejection: [what happened, signed manifest, offer, context changes, reason]
const rejections: [string, SignedManifest, ReleaseOffer, Partial<typeof context>, string][] = [
	['signed by a key the device does not trust', { manifest: vectors.manifest, signatures: [vectors.signatures[2]] }, offer, {}, 'SIGNATURE_UNKNOWN_KEY'],
	['no signatures at all', { manifest: vectors.manifest, signatures: [] }, offer, {}, 'SIGNATURE_UNKNOWN_KEY'],
	['a signature altered', { manifest: vectors.manifest, signatures: [{ ...vectors.signatures[0], sig: Buffer.alloc(64, 1).toString('base64') }] }, offer, {}, 'SIGNATURE_INVALID'],
	['a signature that is not base64', { manifest: vectors.manifest, signatures: [{ ...vectors.signatures[0], sig: '***' }] }, offer, {}, 'SIGNATURE_INVALID'],
	['the manifest altered after signing', { manifest: vectors.manifest.replace('4096', '4097'), signatures: [vectors.signatures[0]] }, { ...offer, size: 4097 }, {}, 'SIGNATURE_INVALID'],
	['one good signature where two are needed', { manifest: vectors.manifest, signatures: [vectors.signatures[0]] }, offer, { threshold: 2 }, 'SIGNATURE_INVALID'],
	['two signatures by the same key where two keys are needed', { manifest: vectors.manifest, signatures: [vectors.signatures[0], vectors.signatures[0]] }, offer, { threshold: 2 }, 'SIGNATURE_INVALID'],
	['the answer\'s checksum is not the signed one', { manifest: vectors.manifest, signatures: [vectors.signatures[0]] }, { ...offer, checksum: 'cd'.repeat(32) }, {}, 'MANIFEST_TAMPERED'],
	['the answer\'s size is not the signed one', { manifest: vectors.manifest, signatures: [vectors.signatures[0]] }, { ...offer, size: 5000 }, {}, 'MANIFEST_TAMPERED'],
	['the answer names another release id', { manifest: vectors.manifest, signatures: [vectors.signatures[0]] }, { ...offer, update: 'rel-9' }, {}, 'MANIFEST_TAMPERED'],
	['a signed manifest that is not JSON', signedBy('not json', 0), offer, {}, 'MANIFEST_TAMPERED'],
	['a signed manifest without sha256', signedBy(edit({ sha256: undefined }), 0), offer, {}, 'MANIFEST_TAMPERED'],
	['an expired manifest (freeze)', signedBy(edit({ expires: 1_600_000_000 }), 0), offer, {}, 'MANIFEST_EXPIRED'],
	['a manifest for another product (mix-and-match)', signedBy(edit({ product: 'other-sensor' }), 0), offer, {}, 'MANIFEST_MISMATCH'],
	['a manifest for another version (mix-and-match)', signedBy(edit({ version: '1.9.0' }), 0), offer, {}, 'MANIFEST_MISMATCH'],
];
for (const [what, signed, o, changes, reason] of rejections) {
	test(`rejected: ${what} → ${reason}`, (t) => {
		const error = t.throws<UpdateError>(() => verifyManifest(o, signed, { ...context, ...changes }));
		t.is(error?.reason as string, reason);
	});
}

test('a host without a signature port cannot take signed releases', (t) => {
	t.throws(() => verifyManifest(offer, signedBy(vectors.manifest, 0), { ...context, signature: undefined }), { message: /no signature port/ });
});

test('the image must have the signed size and hash', (t) => {
	const manifest = verifyManifest(offer, { manifest: vectors.manifest, signatures: [vectors.signatures[0]] }, context);
	t.notThrows(() => checkImage(manifest, 4096, 'ab'.repeat(32)));
	t.is(t.throws<UpdateError>(() => checkImage(manifest, 4095, 'ab'.repeat(32)))?.reason as string, 'IMAGE_TAMPERED');
	t.is(t.throws<UpdateError>(() => checkImage(manifest, 4096, 'ac'.repeat(32)))?.reason as string, 'IMAGE_TAMPERED');
});
