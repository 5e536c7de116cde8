/*
 * Signed releases. The cloud's check-in answer may carry, beside Ioto's fields, a release
 * manifest and signatures made when the release was published, with keys the cloud never holds:
 *
 *   manifest    the exact signed text: JSON {v: 1, product, version, release, size, sha256, expires}
 *               (expires: seconds since the epoch; release: the cloud's update id)
 *   signatures  [{keyid, sig}]: keyid = the first 8 bytes, hex, of SHA-256 of the raw public key;
 *               sig = base64 of the 64-byte ECDSA P-256 r || s over the manifest's UTF-8 bytes
 *
 * The device trusts the public keys in its configuration (several, for rotation) and needs
 * `threshold` valid signatures from distinct trusted keys. Everything is checked before a byte
 * is erased; the image's hash and size are checked against the manifest before activation.
 *
 * Rejections, each with its reason code:
 *   SIGNATURE_MISSING      signatures are required and the answer has none
 *   SIGNATURE_UNKNOWN_KEY  no signature is by a trusted key
 *   SIGNATURE_INVALID      a trusted key's signature does not verify (the manifest or the
 *                          signature was altered; cryptography cannot tell which), or too few do
 *   MANIFEST_TAMPERED      the manifest verifies but is not well formed, or the answer's url
 *                          checksum, size or update id disagree with it
 *   MANIFEST_EXPIRED       the manifest's expiry has passed (a replayed, frozen release)
 *   MANIFEST_MISMATCH      the manifest is for another product or another version (mix-and-match)
 *   IMAGE_TAMPERED         the downloaded image's size or SHA-256 is not the manifest's
 */
import type { DigestPort, SignaturePort } from './ports';
import type { ReleaseOffer } from './checkin';
import { base64Decode } from './base64';
import { utf8Encode, toHex } from './bytes';
import { Reason, UpdateError } from './reasons';

export interface ReleaseManifest {
	v: 1;
	product: string;
	version: string;
	release: string;
	size: number;
	sha256: string;
	expires: number;
}

export interface SignedManifest {
	manifest: string;
	signatures: { keyid: string; sig: string }[];
}

export interface TrustedKey {
	keyid: string;
	key: Uint8Array;
}

/** keyid of a raw public key: the first 8 bytes of its SHA-256, hex. */
export function keyId(digest: DigestPort, key: Uint8Array): string {
	const d = digest.create('SHA256');
	d.write(key);
	return toHex(new Uint8Array(d.close()).subarray(0, 8));
}

/** Trusted keys from configuration: base64 of the 65-byte uncompressed P-256 point each. */
export function trustedKeys(digest: DigestPort, keys: readonly string[]): TrustedKey[] {
	return keys.map((text, i) => {
		let key: Uint8Array;
		try {
			key = base64Decode(text);
		} catch {
			throw new UpdateError(Reason.CONFIG_ERROR, `update.keys[${i}] is not base64`);
		}
		if (key.length !== 65 || key[0] !== 4) throw new UpdateError(Reason.CONFIG_ERROR, `update.keys[${i}] is not a raw uncompressed P-256 public key (65 bytes, 0x04...)`);
		return { keyid: keyId(digest, key), key };
	});
}

export interface VerifyContext {
	keys: readonly TrustedKey[];
	threshold: number;
	signature: SignaturePort | undefined;
	/** The device's product (device.json5). */
	product: string;
	/** Device time, ms. */
	now: number;
}

const fail = (reason: UpdateError['reason'], message: string) => new UpdateError(reason, message);

/** Verify the signed manifest of `offer`; returns the manifest, or throws UpdateError. */
export function verifyManifest(offer: ReleaseOffer, signed: SignedManifest, context: VerifyContext): ReleaseManifest {
	if (!context.signature) throw fail(Reason.CONFIG_ERROR, 'this host has no signature port to check signed releases');
	const message = utf8Encode(signed.manifest);
	const trusted = new Map(context.keys.map((k) => [k.keyid, k]));
	const good = new Set<string>();
	let byTrusted = 0;
	for (const { keyid, sig } of signed.signatures) {
		const key = trusted.get(keyid);
		if (!key) continue;
		byTrusted++;
		let bytes: Uint8Array;
		try {
			bytes = base64Decode(sig);
		} catch {
			continue;
		}
		if (bytes.length === 64 && context.signature.verify(key.key, message, bytes)) good.add(keyid);
	}
	if (byTrusted === 0) throw fail(Reason.SIGNATURE_UNKNOWN_KEY, `release ${offer.update} is signed by no key this device trusts (${signed.signatures.map((s) => s.keyid).join(', ') || 'none'})`);
	if (good.size < context.threshold) {
		throw fail(Reason.SIGNATURE_INVALID, `release ${offer.update}: ${good.size} valid signature(s) by trusted keys, ${context.threshold} needed`);
	}
	let manifest: ReleaseManifest;
	try {
		manifest = JSON.parse(signed.manifest) as ReleaseManifest;
	} catch {
		throw fail(Reason.MANIFEST_TAMPERED, 'the signed manifest is not JSON');
	}
	if (!manifest || manifest.v !== 1 || typeof manifest.product !== 'string' || typeof manifest.version !== 'string'
		|| typeof manifest.release !== 'string' || !Number.isSafeInteger(manifest.size) || typeof manifest.sha256 !== 'string'
		|| typeof manifest.expires !== 'number') {
		throw fail(Reason.MANIFEST_TAMPERED, 'the signed manifest lacks product, version, release, size, sha256 or expires');
	}
	if (manifest.product !== context.product) throw fail(Reason.MANIFEST_MISMATCH, `the manifest is for product ${manifest.product}, this device is ${context.product}`);
	if (manifest.version !== offer.version) throw fail(Reason.MANIFEST_MISMATCH, `the manifest is for version ${manifest.version}, the offer is ${offer.version}`);
	if (manifest.release !== offer.update) throw fail(Reason.MANIFEST_TAMPERED, `the manifest is for release ${manifest.release}, the offer is ${offer.update}`);
	if (manifest.sha256.toLowerCase() !== offer.checksum) throw fail(Reason.MANIFEST_TAMPERED, 'the offer\'s checksum is not the manifest\'s');
	if (offer.size !== undefined && offer.size !== manifest.size) throw fail(Reason.MANIFEST_TAMPERED, `the offer's size ${offer.size} is not the manifest's ${manifest.size}`);
	if (manifest.expires * 1000 <= context.now) throw fail(Reason.MANIFEST_EXPIRED, `the manifest expired at ${new Date(manifest.expires * 1000).toISOString()}`);
	return manifest;
}

/** After the download: the image must be the manifest's, byte count and hash. */
export function checkImage(manifest: ReleaseManifest, size: number, digest: string): void {
	if (size !== manifest.size || digest !== manifest.sha256.toLowerCase()) {
		throw fail(Reason.IMAGE_TAMPERED, `the image (${size} bytes, SHA-256 ${digest}) is not the signed one (${manifest.size} bytes, ${manifest.sha256})`);
	}
}
