/* Moddable's named curves (modules/crypt/etc/curve.js). An unknown name gives an empty object. */
declare module 'curve' {
	export default class Curve {
		constructor(name: 'secp256r1' | 'secp384r1');
		/** Bytes of the group order. */
		readonly orderSize: number;
		/** ECDH: x * P (or x * G), as an uncompressed point. */
		dh(x: ArrayBuffer, P?: ArrayBuffer): ArrayBuffer | undefined;
		Z(P: ArrayBuffer): ArrayBuffer;
	}
}
