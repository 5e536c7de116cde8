/* Moddable's elliptic-curve point (modules/crypt/arith/ecp.js). */
declare module 'ecp' {
	export default class ECPoint {
		constructor(x: bigint, y: bigint, identity?: boolean);
		readonly X: bigint;
		readonly Y: bigint;
		isZero(): boolean;
		/** An uncompressed point 0x04 || X || Y; throws "unsupported format" for anything else. */
		static fromOctetString(octets: Uint8Array): ECPoint;
	}
}
