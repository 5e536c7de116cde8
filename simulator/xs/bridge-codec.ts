/*
 * The wire format of the port bridge between the Node host and the agent in an XS worker. Both
 * sides use this file (it is bundled into the worker), so it keeps to ES2022 plus TextEncoder/
 * TextDecoder, which xsnap provides.
 *
 * A message is JSON plus binary segments, so image chunks cross without base64:
 *
 *   u32 LE  JSON byte length
 *   JSON    the value, with bytes replaced by {"$b": i} and functions by {"$f": id}
 *   bytes   segment 0, segment 1, ... (their lengths are listed in the JSON envelope's "s")
 *
 * Special forms inside the value:
 *   {"$b": i}                 a Uint8Array (other views arrive as Uint8Array over their bytes)
 *   {"$a": i}                 an ArrayBuffer (a socket read, a slot read: the port says ArrayBuffer)
 *   {"$f": id}                a function living on the sending side; the receiver gets a stub
                            (only the agent's side sends these: callbacks it hands to ports)
 *   {"$h": id, "p": {...}, "m": [...]}  an object with methods living on the sending side (a socket,
 *                             a slot writer): data properties copied, methods called by handle
 *   {"$u": 1}                 undefined (JSON has none)
 *   {"$e": {name, message, stack}}  an Error
 * Plain objects whose own keys start with "$" are escaped as {"$o": {...}} so they cannot be
 * mistaken for these forms.
 *
 * Bytes are moved with ArrayBuffer operations (slice, and XS's ArrayBuffer.prototype.concat),
 * never element by element: XS meters a typed array copy per element (about 2 computrons a
 * byte), an ArrayBuffer copy as one call, and the image's bytes cross here twice per chunk.
 * For the same reason the loops index arrays and key lists: XS's iterator protocol (for-of,
 * destructuring entries) costs several times more per step.
 */

export interface CodecHooks {
	/** Called for each function in an outgoing value; returns the id the other side will call. */
	exportFunction?(fn: (...args: any[]) => unknown): number;
	/** Called for an object with methods in an outgoing value; returns its handle id. */
	exportHandle?(object: object): number;
	/** Builds the stub for a function id received. */
	importFunction?(id: number): (...args: any[]) => unknown;
	/** Builds the proxy for a handle received. */
	importHandle?(id: number, props: Record<string, unknown>, methods: string[]): unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function isPlain(value: object): boolean {
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

function hasMethods(value: object): boolean {
	if (Array.isArray(value)) return false;
	if (!isPlain(value)) return true;
	return Object.values(value).some((v) => typeof v === 'function');
}

/** Own data properties and the method names (own and inherited, up to Object.prototype). */
export function describeHandle(value: object): { props: Record<string, unknown>; methods: string[] } {
	const props: Record<string, unknown> = {};
	const methods = new Set<string>();
	for (let o: object | null = value; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
		for (const key of Object.getOwnPropertyNames(o)) {
			if (key === 'constructor') continue;
			const d = Object.getOwnPropertyDescriptor(o, key)!;
			if (typeof d.value === 'function') methods.add(key);
			else if (d.get && !(key in props)) props[key] = (value as Record<string, unknown>)[key];
			else if ('value' in d && !(key in props) && typeof d.value !== 'object') props[key] = d.value;
		}
	}
	return { props, methods: [...methods] };
}

export function encodeMessage(value: unknown, hooks: CodecHooks = {}): Uint8Array {
	const segments: Uint8Array[] = [];
	const walk = (v: unknown): unknown => {
		if (v === undefined) return { $u: 1 };
		if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
		if (typeof v === 'number') return Number.isFinite(v) ? v : { $u: 1 };
		if (typeof v === 'function') {
			if (!hooks.exportFunction) throw new TypeError('cannot send a function here');
			return { $f: hooks.exportFunction(v as (...args: any[]) => unknown) };
		}
		if (v instanceof ArrayBuffer) {
			segments.push(new Uint8Array(v));
			return { $a: segments.length - 1 };
		}
		if (ArrayBuffer.isView(v)) {
			segments.push(v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
			return { $b: segments.length - 1 };
		}
		if (v instanceof Error) return { $e: { name: v.name, message: v.message, stack: typeof v.stack === 'string' ? v.stack : undefined } };
		if (Array.isArray(v)) return v.map(walk);
		if (typeof v === 'object') {
			// The host lends its objects by handle; the agent's side sends plain objects field by
			// field, functions included (a socket's callbacks), since it keeps nothing to lend.
			if (hooks.exportHandle ? hasMethods(v) : !isPlain(v)) {
				if (!hooks.exportHandle) throw new TypeError('cannot send an object with methods here');
				const { props, methods } = describeHandle(v);
				const p: Record<string, unknown> = {};
				const names = Object.keys(props);
				for (let i = 0; i < names.length; i++) p[names[i]] = walk(props[names[i]]);
				return { $h: hooks.exportHandle(v), p, m: methods };
			}
			const out: Record<string, unknown> = {};
			let escaped = false;
			const keys = Object.keys(v);
			for (let i = 0; i < keys.length; i++) {
				const k = keys[i];
				const x = (v as Record<string, unknown>)[k];
				if (x === undefined) continue;
				if (k.startsWith('$')) escaped = true;
				out[k] = walk(x);
			}
			return escaped ? { $o: out } : out;
		}
		throw new TypeError(`cannot send a ${typeof v}`);
	};
	const body = walk(value);
	const json = encoder.encode(JSON.stringify({ v: body, s: segments.map((s) => s.byteLength) }));
	const length = new Uint8Array(4);
	new DataView(length.buffer).setUint32(0, json.byteLength, true);
	return joinBytes([length, json, ...segments]);
}

type Concat = (this: ArrayBuffer, ...buffers: ArrayBuffer[]) => ArrayBuffer;
/** XS's ArrayBuffer.prototype.concat; Node has none. */
const concat = (ArrayBuffer.prototype as { concat?: Concat }).concat;

/** The parts end to end, in one new buffer that the result spans whole. */
function joinBytes(parts: Uint8Array[]): Uint8Array {
	if (concat) {
		const buffers = parts.map(ownBuffer);
		return new Uint8Array(concat.apply(buffers[0], buffers.slice(1)));
	}
	let total = 0;
	for (let i = 0; i < parts.length; i++) total += parts[i].byteLength;
	const out = new Uint8Array(total);
	let at = 0;
	for (let i = 0; i < parts.length; i++) {
		out.set(parts[i], at);
		at += parts[i].byteLength;
	}
	return out;
}

/** The view's bytes as an ArrayBuffer of their own (the view's buffer when it spans it whole). */
function ownBuffer(view: Uint8Array): ArrayBuffer {
	const buffer = view.buffer as ArrayBuffer;
	return view.byteOffset === 0 && view.byteLength === buffer.byteLength ? buffer : buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
}

export function decodeMessage(bytes: Uint8Array, hooks: CodecHooks = {}): unknown {
	if (bytes.byteLength < 4) throw new RangeError('bridge message too short');
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const length = view.getUint32(0, true);
	if (4 + length > bytes.byteLength) throw new RangeError('bridge message truncated');
	const envelope = JSON.parse(decoder.decode(bytes.subarray(4, 4 + length))) as { v: unknown; s: number[] };
	// Each segment gets a buffer of its own (the receiver may keep it, or transfer it on).
	const segments: ArrayBuffer[] = [];
	let at = 4 + length;
	for (let i = 0; i < envelope.s.length; i++) {
		const n = envelope.s[i];
		if (at + n > bytes.byteLength) throw new RangeError('bridge message segment truncated');
		segments.push((bytes.buffer as ArrayBuffer).slice(bytes.byteOffset + at, bytes.byteOffset + at + n));
		at += n;
	}
	const walk = (v: unknown): unknown => {
		if (v === null || typeof v !== 'object') return v;
		if (Array.isArray(v)) return v.map(walk);
		const o = v as Record<string, any>;
		if ('$u' in o) return undefined;
		if ('$b' in o) return new Uint8Array(segments[o.$b]);
		if ('$a' in o) return segments[o.$a];
		if ('$o' in o) return walkObject(o.$o);
		if ('$e' in o) {
			const Ctor = o.$e.name === 'RangeError' ? RangeError : o.$e.name === 'TypeError' ? TypeError : Error;
			const error: Error = new Ctor(o.$e.message);
			if (Ctor === Error && o.$e.name) error.name = o.$e.name;
			if (o.$e.stack) (error as { remoteStack?: string }).remoteStack = o.$e.stack;
			return error;
		}
		if ('$f' in o) {
			if (!hooks.importFunction) throw new TypeError('unexpected function in bridge message');
			return hooks.importFunction(o.$f);
		}
		if ('$h' in o) {
			if (!hooks.importHandle) throw new TypeError('unexpected handle in bridge message');
			return hooks.importHandle(o.$h, walkObject(o.p) as Record<string, unknown>, o.m);
		}
		return walkObject(o);
	};
	const walkObject = (o: Record<string, unknown>): Record<string, unknown> => {
		const out: Record<string, unknown> = {};
		const keys = Object.keys(o);
		for (let i = 0; i < keys.length; i++) out[keys[i]] = walk(o[keys[i]]);
		return out;
	};
	return walk(envelope.v);
}
