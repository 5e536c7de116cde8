/*
 * Netstrings (`<decimal length>:<bytes>,`), the framing the xsnap worker speaks on its command
 * pipes. The decoder is streaming (bytes arrive in arbitrary chunks from a pipe) and refuses
 * lengths above a cap before allocating, so a corrupt or hostile stream cannot make the host
 * reserve unbounded memory.
 */

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;

/** Default cap on one decoded payload. */
export const DEFAULT_MAX_NETSTRING_LENGTH = 128 * 1024 * 1024;

export class NetstringError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'NetstringError';
	}
}

/** Frame `payload` (or the concatenation of several parts, to avoid a copy by the caller). */
export function encodeNetstring(payload: Uint8Array | readonly Uint8Array[]): Uint8Array {
	const parts = payload instanceof Uint8Array ? [payload] : payload;
	let length = 0;
	for (const part of parts) {
		if (!(part instanceof Uint8Array)) throw new NetstringError('netstring payload parts must be Uint8Array');
		length += part.byteLength;
	}
	const prefix = new TextEncoder().encode(`${length}:`);
	const out = new Uint8Array(prefix.byteLength + length + 1);
	out.set(prefix, 0);
	let offset = prefix.byteLength;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.byteLength;
	}
	out[offset] = COMMA;
	return out;
}

export interface NetstringDecoderOptions {
	/** Largest payload accepted, in bytes. */
	maxLength?: number;
}

/**
 * Push chunks as they arrive; each call returns the payloads completed by that chunk. After a
 * framing error the decoder stays failed: the stream cannot be resynchronised.
 */
export class NetstringDecoder {
	readonly maxLength: number;
	readonly #maxDigits: number;
	#state: 'length' | 'body' | 'comma' = 'length';
	#digits = '';
	#body = new Uint8Array(0);
	#filled = 0;
	#failure: NetstringError | undefined;

	constructor(options: NetstringDecoderOptions = {}) {
		const { maxLength = DEFAULT_MAX_NETSTRING_LENGTH } = options;
		if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
			throw new NetstringError(`maxLength must be a non-negative integer, got ${String(maxLength)}`);
		}
		this.maxLength = maxLength;
		this.#maxDigits = String(maxLength).length;
	}

	/** True when no partial netstring is buffered (a clean place for the stream to end). */
	get idle(): boolean {
		return this.#state === 'length' && this.#digits === '';
	}

	push(chunk: Uint8Array): Uint8Array[] {
		if (this.#failure) throw this.#failure;
		if (!(chunk instanceof Uint8Array)) throw new NetstringError('netstring input must be a Uint8Array');
		const out: Uint8Array[] = [];
		let i = 0;
		while (i < chunk.byteLength) {
			switch (this.#state) {
				case 'length': {
					const byte = chunk[i++];
					if (byte === COLON) {
						if (this.#digits === '') this.#fail('netstring length is empty');
						const length = Number(this.#digits);
						if (length > this.maxLength) {
							this.#fail(`netstring length ${length} exceeds the limit of ${this.maxLength} bytes`);
						}
						this.#digits = '';
						this.#body = new Uint8Array(length);
						this.#filled = 0;
						this.#state = length === 0 ? 'comma' : 'body';
					} else if (byte >= ZERO && byte <= NINE) {
						if (this.#digits === '0') this.#fail('netstring length has a leading zero');
						this.#digits += String.fromCharCode(byte);
						if (this.#digits.length > this.#maxDigits) {
							this.#fail(`netstring length ${this.#digits}... exceeds the limit of ${this.maxLength} bytes`);
						}
					} else {
						this.#fail(`netstring length has an unexpected byte 0x${byte.toString(16).padStart(2, '0')}`);
					}
					break;
				}
				case 'body': {
					const take = Math.min(this.#body.byteLength - this.#filled, chunk.byteLength - i);
					this.#body.set(chunk.subarray(i, i + take), this.#filled);
					this.#filled += take;
					i += take;
					if (this.#filled === this.#body.byteLength) this.#state = 'comma';
					break;
				}
				case 'comma': {
					const byte = chunk[i++];
					if (byte !== COMMA) {
						this.#fail(`netstring of ${this.#body.byteLength} bytes is not terminated by ','`);
					}
					out.push(this.#body);
					this.#body = new Uint8Array(0);
					this.#state = 'length';
					break;
				}
			}
		}
		return out;
	}

	/** Declare the end of the stream; throws if it stops inside a netstring. */
	end(): void {
		if (this.#failure) throw this.#failure;
		if (!this.idle) this.#fail('stream ended inside a netstring');
	}

	#fail(message: string): never {
		this.#failure = new NetstringError(message);
		throw this.#failure;
	}
}
