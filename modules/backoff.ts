/*
 * Retry delays: exponential backoff with full jitter and a cap. Full jitter (a uniform draw
 * between 0 and the exponential bound) spreads a fleet that failed at the same moment across the
 * whole window, so a cloud that comes back is not met by every device at once.
 */
export interface BackoffOptions {
	/** Bound of the first delay, ms. */
	base: number;
	/** Largest delay, ms. */
	cap: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { base: 1000, cap: 5 * 60_000 };

/** Delay before retry number `attempt` (1 = the first retry); `random` returns [0, 1). */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
	const bound = Math.min(options.cap, options.base * 2 ** Math.min(30, Math.max(0, attempt - 1)));
	return Math.floor(random() * bound);
}
