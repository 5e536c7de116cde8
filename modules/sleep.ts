import type { ClockPort } from './ports';

/** Resolve after `ms` of device time, on the clock port (XS has no setTimeout). */
export function sleep(clock: ClockPort, ms: number): Promise<void> {
	if (!(ms > 0)) return Promise.resolve();
	return new Promise((resolve) => {
		clock.setTimer(resolve, ms);
	});
}
