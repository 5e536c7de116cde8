/*
 * Release signing on the publisher's side: key pairs, the release manifest text, signatures.
 * The private key stays with whoever publishes; the cloud only ever stores the manifest and its
 * signatures (see modules/release-manifest.ts for what the device checks).
 */
import * as fs from 'node:fs';
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileAtomic } from '../../hosts/sim/atomic-file';
import type { ReleaseManifest } from '../../modules/release-manifest';

export interface SigningKeyFiles {
	/** PKCS#8 PEM of the private key (mode 0600). */
	privatePath: string;
	/** Base64 of the raw 65-byte public key: what devices list in update.keys. */
	publicPath: string;
	publicKey: string;
	keyid: string;
}

/** The raw uncompressed point (0x04 || X || Y) of an EC key, public or private. */
export function rawPublicKey(key: KeyObject): Buffer {
	const jwk = key.export({ format: 'jwk' }) as { x: string; y: string };
	return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

export function keyIdOf(raw: Uint8Array): string {
	return createHash('sha256').update(raw).digest().subarray(0, 8).toString('hex');
}

/** Make a P-256 signing key pair as `<base>.key` and `<base>.pub`. */
export function createSigningKey(base: string): SigningKeyFiles {
	const privatePath = `${base}.key`;
	const publicPath = `${base}.pub`;
	if (fs.existsSync(privatePath)) throw new Error(`${privatePath} exists; not overwriting a signing key`);
	const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
	const raw = rawPublicKey(publicKey);
	writeFileAtomic(privatePath, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
	writeFileAtomic(publicPath, `${raw.toString('base64')}\n`);
	return { privatePath, publicPath, publicKey: raw.toString('base64'), keyid: keyIdOf(raw) };
}

export interface SigningKey {
	keyid: string;
	publicKey: string;
	privateKey: KeyObject;
}

export function loadSigningKey(privatePath: string): SigningKey {
	let privateKey: KeyObject;
	try {
		privateKey = createPrivateKey(fs.readFileSync(privatePath, 'utf8'));
	} catch (error) {
		throw new Error(`cannot read the signing key ${privatePath}: ${(error as Error).message}`);
	}
	if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
		throw new Error(`${privatePath} is not a P-256 key`);
	}
	const raw = rawPublicKey(privateKey);
	return { keyid: keyIdOf(raw), publicKey: raw.toString('base64'), privateKey };
}

/** What a manifest says, as the agent reads it (modules/release-manifest.ts); `expires` in seconds since the epoch. */
export type ManifestFields = Omit<ReleaseManifest, 'v'>;

/** The manifest text that is signed and sent verbatim. */
export function manifestText(fields: ManifestFields): string {
	const { product, version, release, size, sha256, expires } = fields;
	return JSON.stringify({ v: 1, product, version, release, size, sha256, expires });
}

export function signManifest(text: string, key: SigningKey): { keyid: string; sig: string } {
	const sig = sign('sha256', Buffer.from(text, 'utf8'), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
	return { keyid: key.keyid, sig: sig.toString('base64') };
}
