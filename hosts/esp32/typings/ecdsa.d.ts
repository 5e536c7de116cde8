/*
 * Moddable's ECDSA (modules/crypt/etc/ecdsa.js): new ECDSA(key, curve, isPrivate). verify() takes
 * the message digest and the signature as r || s (each orderSize bytes), or DER with `asn1`. It
 * does not check the key or the ranges of r and s.
 */
declare module 'ecdsa' {
	import type Curve from 'curve';
	import type ECPoint from 'ecp';
	export default class ECDSA {
		constructor(key: ECPoint | bigint, curve: Curve, isPrivate?: boolean);
		verify(digest: ArrayBuffer, signature: ArrayBuffer | Uint8Array, asn1?: boolean): boolean;
		sign(digest: ArrayBuffer, asn1?: boolean): ArrayBuffer;
	}
}
