/*
 * Received bytes waiting for the agent to read them: the buffers the TLS layer handed over, kept
 * as they are and cut only when a read asks for less than a whole buffer.
 */
export class ByteQueue {
	#buffers: Uint8Array[] = [];
	#size = 0;

	/** Bytes waiting. */
	get size(): number {
		return this.#size;
	}

	push(bytes: ArrayBuffer): void {
		if (bytes.byteLength === 0) return;
		this.#buffers.push(new Uint8Array(bytes));
		this.#size += bytes.byteLength;
	}

	/** Take up to `maxBytes` (everything when omitted); undefined when nothing waits. */
	read(maxBytes?: number): ArrayBuffer | undefined {
		if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
			throw new RangeError(`read size must be a positive integer, not ${maxBytes}`);
		}
		if (this.#size === 0) return undefined;
		const want = Math.min(maxBytes ?? this.#size, this.#size);
		const head = this.#buffers[0];
		if (head.byteLength === want && head.byteOffset === 0 && head.buffer.byteLength === want) {
			// The common case: one whole buffer, handed over without a copy.
			this.#buffers.shift();
			this.#size -= want;
			return head.buffer as ArrayBuffer;
		}
		const out = new Uint8Array(want);
		let filled = 0;
		while (filled < want) {
			const first = this.#buffers[0];
			const take = Math.min(first.byteLength, want - filled);
			out.set(first.subarray(0, take), filled);
			filled += take;
			if (take === first.byteLength) this.#buffers.shift();
			else this.#buffers[0] = first.subarray(take);
		}
		this.#size -= want;
		return out.buffer;
	}

	clear(): void {
		this.#buffers = [];
		this.#size = 0;
	}
}
