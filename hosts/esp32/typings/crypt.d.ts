/*
 * Moddable's crypt module (modules/crypt/digest/crypt.js), from documentation/crypt/crypt.md.
 * write() takes a String or any readable buffer (xsmcGetBufferReadable), Uint8Array included.
 */
declare module 'crypt' {
	export type DigestType = 'MD5' | 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512';

	export class Digest {
		constructor(type: DigestType);
		write(data: string | ByteBuffer): void;
		/** The digest; with `more`, the state is kept for further writes. */
		close(more?: boolean): ArrayBuffer;
		reset(): void;
		/** reset(), write() each argument, close(). */
		process(...data: (string | ByteBuffer)[]): ArrayBuffer;
		update(data: string | ByteBuffer): void;
		readonly blockSize: number;
		readonly outputSize: number;
	}

	export class GHASH extends Digest {
		constructor(h: ByteBuffer, aad?: ByteBuffer);
	}

	export class BlockCipher {
		constructor(cipher: 'DES' | 'TDES' | 'AES', key: ByteBuffer);
		encrypt(data: ByteBuffer, result?: ArrayBuffer): ArrayBuffer;
		decrypt(data: ByteBuffer, result?: ArrayBuffer): ArrayBuffer;
		readonly keySize: number;
		readonly blockSize: number;
	}

	export class StreamCipher {
		constructor(cipher: 'RC4' | 'ChaCha', key: ByteBuffer, iv?: ByteBuffer, counter?: number);
		encrypt(data: ByteBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
		decrypt(data: ByteBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
	}

	export class Mode {
		constructor(mode: 'ECB' | 'CBC' | 'CTR', cipher: BlockCipher, iv?: ByteBuffer, pad?: boolean);
		encrypt(data: ByteBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
		decrypt(data: ByteBuffer, result?: ArrayBuffer, count?: number): ArrayBuffer;
	}

	const crypt: { Digest: typeof Digest; BlockCipher: typeof BlockCipher; Mode: typeof Mode; StreamCipher: typeof StreamCipher; GHASH: typeof GHASH };
	export default crypt;
}
