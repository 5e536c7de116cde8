/*
 * The faults the fault proxy can put between a device and its cloud, one per request.
 *
 * Byte positions (`at`, `cutAt`) count bytes of the response body as this response sends it,
 * whatever range of the image that body covers; they are clamped so the fault always takes
 * effect (a cut leaves at least one byte of the body unsent).
 *
 * Image requests (GET /images/...):
 *   cut           send `at` body bytes, then drop the connection
 *   stall         send `at` body bytes, then nothing (the device's idle timeout must fire)
 *   truncate      send `at` body bytes, then end the response cleanly, short of its Content-Length
 *   corrupt       flip the bits of body byte `at`
 *   wrong-length  announce Content-Length + `delta`, send the real body
 *   full-body     drop Range and If-Range: a 200 with the whole image answers a resume
 *   etag-change   the release changed: a 206 comes with another ETag and other bytes; a 200
 *                 comes with another ETag (and is cut at `cutAt`, so the resume's If-Range fails)
 *   server-error  answer `status` to this request and the `count - 1` after it
 *   trickle       send the first `bytes` body bytes in pieces of `piece` bytes, `delay` ms apart
 * Check-ins (POST /tok/provision/update): server-error, and cut or stall after `at` bytes of the
 * answer (head included).
 * Both: pass lets `count` requests through untouched, to aim the next fault at a later request.
 */

export type ImageFault =
	| { kind: 'cut'; at: number }
	| { kind: 'stall'; at: number }
	| { kind: 'truncate'; at: number }
	| { kind: 'corrupt'; at: number }
	| { kind: 'wrong-length'; delta: number }
	| { kind: 'full-body' }
	| { kind: 'etag-change'; cutAt?: number }
	| { kind: 'server-error'; status: number; count: number }
	| { kind: 'trickle'; bytes: number; piece: number; delay: number }
	| { kind: 'pass'; count: number };

export type CheckinFault =
	| { kind: 'cut'; at: number }
	| { kind: 'stall'; at: number }
	| { kind: 'server-error'; status: number; count: number }
	| { kind: 'pass'; count: number };

export type PlannedFault = { target: 'image'; fault: ImageFault } | { target: 'checkin'; fault: CheckinFault };

export type FaultTarget = PlannedFault['target'];

export const IMAGE_FAULT_KINDS = ['cut', 'stall', 'truncate', 'corrupt', 'wrong-length', 'full-body', 'etag-change', 'server-error', 'trickle', 'pass'] as const;
export const CHECKIN_FAULT_KINDS = ['cut', 'stall', 'server-error', 'pass'] as const;

/** Longest a trickle may take, so a scenario stays bounded: bytes / piece * delay. */
export const MAX_TRICKLE_MS = 2000;

const isCount = (n: unknown, min: number): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= min;

/** Throws an Error that says what is wrong with `planned`; returns it when it is a valid fault. */
export function checkFault(planned: PlannedFault): PlannedFault {
	if (planned === null || typeof planned !== 'object') throw new Error('a planned fault must be an object {target, fault}');
	const { target, fault } = planned as { target: unknown; fault: unknown };
	if (target !== 'image' && target !== 'checkin') throw new Error(`fault target must be "image" or "checkin", not ${JSON.stringify(target)}`);
	if (fault === null || typeof fault !== 'object') throw new Error(`the ${target} fault must be an object with a kind`);
	const f = fault as Record<string, unknown>;
	const kinds: readonly string[] = target === 'image' ? IMAGE_FAULT_KINDS : CHECKIN_FAULT_KINDS;
	if (typeof f.kind !== 'string' || !kinds.includes(f.kind)) {
		throw new Error(`${target} fault kind must be one of ${kinds.join(', ')}, not ${JSON.stringify(f.kind)}`);
	}
	const where = `${target} fault ${f.kind}`;
	switch (f.kind) {
		case 'cut':
		case 'stall':
		case 'truncate':
		case 'corrupt':
			if (!isCount(f.at, 0)) throw new Error(`${where}: at must be a byte count >= 0, not ${JSON.stringify(f.at)}`);
			break;
		case 'wrong-length':
			if (!Number.isSafeInteger(f.delta) || f.delta === 0) throw new Error(`${where}: delta must be a non-zero integer, not ${JSON.stringify(f.delta)}`);
			break;
		case 'etag-change':
			if (f.cutAt !== undefined && !isCount(f.cutAt, 1)) throw new Error(`${where}: cutAt must be a byte count >= 1, not ${JSON.stringify(f.cutAt)}`);
			break;
		case 'server-error':
			if (!isCount(f.status, 500) || (f.status as number) > 599) throw new Error(`${where}: status must be 500-599, not ${JSON.stringify(f.status)}`);
			if (!isCount(f.count, 1)) throw new Error(`${where}: count must be an integer >= 1, not ${JSON.stringify(f.count)}`);
			break;
		case 'pass':
			if (!isCount(f.count, 1)) throw new Error(`${where}: count must be an integer >= 1, not ${JSON.stringify(f.count)}`);
			break;
		case 'trickle': {
			if (!isCount(f.bytes, 1)) throw new Error(`${where}: bytes must be an integer >= 1, not ${JSON.stringify(f.bytes)}`);
			if (!isCount(f.piece, 1)) throw new Error(`${where}: piece must be an integer >= 1, not ${JSON.stringify(f.piece)}`);
			if (!isCount(f.delay, 0)) throw new Error(`${where}: delay must be milliseconds >= 0, not ${JSON.stringify(f.delay)}`);
			const ms = Math.ceil((f.bytes as number) / (f.piece as number)) * (f.delay as number);
			if (ms > MAX_TRICKLE_MS) throw new Error(`${where}: would take ${ms} ms, more than ${MAX_TRICKLE_MS} ms`);
			break;
		}
	}
	return planned;
}

/** A short text for logs and failure reports: "image:cut@5000". */
export function describeFault(planned: PlannedFault): string {
	const f = planned.fault as Record<string, unknown> & { kind: string };
	const params = Object.entries(f).filter(([key]) => key !== 'kind').map(([key, value]) => `${key}=${String(value)}`);
	return `${planned.target}:${f.kind}${params.length ? `(${params.join(',')})` : ''}`;
}
