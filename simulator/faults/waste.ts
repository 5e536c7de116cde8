/*
 * Wasted bytes of one scenario, from the proxy's ledger of image answers.
 *
 * Delivered bytes are what the proxy handed to connections; what they exceed the image size by
 * is waste, whatever the cause (a device that gives up on a connection drops what was in
 * flight, too).
 *
 * Re-downloads are counted from the device's side: each request notes how many image bytes the
 * device said it held (`held`; see FaultPlan.deviceReceived), and an answer whose body starts below that sends again bytes the
 * device already had. Those bytes are charged to what came before the request:
 *
 * - a designed restart, when the device must start over from byte 0: the answer is a 200 to a
 *   request for a range (the server ignored the range, or If-Range saw another ETag), or the
 *   device held the whole image (it was verified and rejected, then fetched again); an answer
 *   that tells of a changed release voids what the device held, too;
 * - otherwise the interruption before the request (a cut, a stall, a short body, a failed cycle):
 *   what resuming keeps small, nothing within one run and less than an erase unit after a
 *   restart, which resumes at the last erase boundary.
 *
 * A device that starts over after a plain cut shows up as one interruption costing everything it
 * held, which is how a broken resume is caught.
 */
import type { ImageExchange } from './fault-plan';

export interface WasteReport {
	/** Image body bytes handed to the device, over all answers. */
	delivered: number;
	/** delivered minus the image size (never below 0). */
	wasted: number;
	/** Bytes sent again after each interruption the device resumed from, in order. */
	perInterruption: number[];
	/** The largest of perInterruption (0 without any). */
	maxPerInterruption: number;
	/** Bytes the device held and had to drop because it started over by design. */
	restartBytes: number;
	/** How many designed restarts there were. */
	restarts: number;
}

export function accountWaste(exchanges: readonly ImageExchange[], imageSize: number): WasteReport {
	if (!Number.isSafeInteger(imageSize) || imageSize <= 0) throw new Error(`image size must be a positive integer, not ${imageSize}`);
	let delivered = 0;
	let restartBytes = 0;
	let restarts = 0;
	const perInterruption: number[] = [];
	const restart = (held: number) => {
		if (held === 0) return;
		restartBytes += held;
		restarts++;
	};
	for (const exchange of exchanges) {
		delivered += exchange.sent;
		if (exchange.status !== 200 && exchange.status !== 206) continue;
		const { held, start, asked } = exchange;
		if ((exchange.status === 200 && asked !== undefined && asked > 0) || held >= imageSize) restart(held);
		else if (asked !== undefined || start < held) perInterruption.push(Math.max(0, held - start));
		if (exchange.restarts) restart(held);
	}
	return {
		delivered,
		wasted: Math.max(0, delivered - imageSize),
		perInterruption,
		maxPerInterruption: perInterruption.reduce((max, n) => Math.max(max, n), 0),
		restartBytes,
		restarts,
	};
}
