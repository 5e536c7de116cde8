/*
 * The faults of one scenario, in the order they hit, and the ledger of what the proxy did.
 *
 * Each request of a target (image GET or check-in) takes the next fault of that target, so a
 * plan is deterministic whatever the timing: the third image request always meets the third
 * image fault. A server-error burst of `count` takes `count` requests, and so does a pass. A
 * fault that cannot apply to the request it meets (a full-body answer to a request that asked
 * for no range) is used up all the same and recorded as skipped.
 */
import { checkFault, type CheckinFault, type FaultTarget, type ImageFault, type PlannedFault } from './faults';

/** What the proxy sent for one image request. */
export interface ImageExchange {
	target: 'image';
	/** The fault applied, if any. */
	fault?: ImageFault['kind'];
	/** A fault used up without effect (it did not fit this request). */
	skipped?: ImageFault['kind'];
	status: number;
	/** First byte of the range the device asked for; undefined when it asked for no range. */
	asked?: number;
	/** Image offset of the first body byte sent. */
	start: number;
	/** Body bytes handed to the connection (some may never be read: a device that gives up drops them). */
	sent: number;
	/** Image bytes the device reported received (deviceReceived) when this request arrived. */
	held: number;
	/** The answer told of a changed release: a correct device starts over from byte 0. */
	restarts: boolean;
	/** Size of the whole image, when the answer said it. */
	size?: number;
}

/** What the proxy did with one check-in. */
export interface CheckinExchange {
	target: 'checkin';
	fault?: CheckinFault['kind'];
	status: number;
}

export type Exchange = ImageExchange | CheckinExchange;

interface Queued {
	planned: PlannedFault;
	/** Requests this fault still takes (bursts take several). */
	left: number;
}

export class FaultPlan {
	readonly faults: readonly PlannedFault[];
	/** In the order the requests arrived; an entry is filled in as its answer goes out. */
	readonly exchanges: Exchange[] = [];
	/**
	 * The image bytes the device says it holds, from its update:progress events (set by whoever
	 * watches the device). Each image request notes it, so re-downloads are counted from what the
	 * device had read, not from what was in flight when it gave up on a connection.
	 */
	deviceReceived = 0;
	#queues: Record<FaultTarget, Queued[]> = { image: [], checkin: [] };

	constructor(faults: readonly PlannedFault[] = []) {
		if (!Array.isArray(faults)) throw new Error('a fault plan takes an array of {target, fault}');
		this.faults = faults.map((f) => checkFault(f));
		for (const planned of this.faults) {
			const left = planned.fault.kind === 'server-error' || planned.fault.kind === 'pass' ? planned.fault.count : 1;
			this.#queues[planned.target].push({ planned, left });
		}
	}

	/** The fault for the next image request, or undefined when it goes through untouched. */
	takeImage(): Exclude<ImageFault, { kind: 'pass' }> | undefined {
		const fault = this.#take('image')?.fault as ImageFault | undefined;
		return fault?.kind === 'pass' ? undefined : fault;
	}

	/** The fault for the next check-in, or undefined when it goes through untouched. */
	takeCheckin(): Exclude<CheckinFault, { kind: 'pass' }> | undefined {
		const fault = this.#take('checkin')?.fault as CheckinFault | undefined;
		return fault?.kind === 'pass' ? undefined : fault;
	}

	/** Faults (burst requests counted one each) no request has met yet. */
	get pending(): number {
		return [...this.#queues.image, ...this.#queues.checkin].reduce((sum, q) => sum + q.left, 0);
	}

	record(exchange: Exchange): void {
		this.exchanges.push(exchange);
	}

	get images(): ImageExchange[] {
		return this.exchanges.filter((e): e is ImageExchange => e.target === 'image');
	}

	#take(target: FaultTarget): PlannedFault | undefined {
		const queue = this.#queues[target];
		const head = queue[0];
		if (!head) return undefined;
		if (--head.left === 0) queue.shift();
		return head.planned;
	}
}
