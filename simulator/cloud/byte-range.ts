/*
 * The `Range` request header for one representation of `size` bytes (RFC 9110 §14).
 * Only a single byte range is served as 206; a header with several ranges is answered with the
 * whole image (200), which the RFC allows, and so is anything that does not parse, because an
 * invalid Range header must be ignored rather than refused.
 */

export type ByteRange =
	| { kind: 'full' }
	/** Inclusive bounds, already clipped to the representation. */
	| { kind: 'partial'; start: number; end: number }
	| { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

export function parseByteRange(header: string | string[] | undefined, size: number): ByteRange {
	if (typeof header !== 'string') return { kind: 'full' };
	const text = header.trim();
	const equals = text.indexOf('=');
	if (equals < 0 || text.slice(0, equals).trim().toLowerCase() !== 'bytes') return { kind: 'full' };
	const set = text.slice(equals + 1);
	if (set.includes(',')) return { kind: 'full' };
	const match = SPEC.exec(set.trim());
	if (!match) return { kind: 'full' };
	const [, first, last] = match as unknown as [string, string, string];
	if (first === '' && last === '') return { kind: 'full' };
	if (first === '') {
		// Suffix range: the last N bytes.
		const length = Number(last);
		if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
		return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
	}
	const start = Number(first);
	if (last !== '' && Number(last) < start) return { kind: 'full' };
	if (start >= size) return { kind: 'unsatisfiable' };
	const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
	return { kind: 'partial', start, end };
}
