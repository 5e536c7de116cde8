/*
 * The clock of one device in a fleet. Device time runs at wall speed while the device has a
 * connection open, so that timeouts keep their meaning under load; while it is idle (backoff
 * between retries, a trial waiting for its deadline, a hung self-test) time passes `idleScale`
 * times faster and the clock jumps to the end of each wait. Between rollout waves the fleet moves
 * every clock on by a whole check period at once (skip), as the device sleeps until its next
 * scheduled check. Device time never runs backwards.
 *
 * It is the simulator's Node clock (hosts/sim/node-clock.ts) with every idle wait accelerated,
 * not only the long ones: ten thousand devices that back off together must not hold the run for
 * the length of their backoff.
 */
import { createNodeClock, type NodeClock } from '../../hosts/sim/node-clock';

export type FleetClock = NodeClock;

export function createFleetClock(start: number, idleScale: number): FleetClock {
	if (!Number.isFinite(start)) throw new RangeError(`clock start must be a time in ms, not ${start}`);
	if (!(idleScale >= 1) || !Number.isFinite(idleScale)) throw new RangeError(`idle scale must be a number >= 1, not ${idleScale}`);
	return createNodeClock(idleScale, start, 0);
}
