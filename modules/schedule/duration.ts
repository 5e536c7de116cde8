/*
 * Ioto's duration values (its svalue): a number of seconds, or a string of a number and a unit
 * ("30 secs", "24 hrs", "5 mins", "1 week"). "never"/"forever"/"infinite" mean no limit.
 */
const UNITS: [string[], number][] = [
	[['ms', 'msec', 'msecs', 'millisecond', 'milliseconds'], 1],
	[['', 's', 'sec', 'secs', 'second', 'seconds'], 1000],
	[['m', 'min', 'mins', 'minute', 'minutes'], 60_000],
	[['h', 'hr', 'hrs', 'hour', 'hours'], 3_600_000],
	[['d', 'day', 'days'], 86_400_000],
	[['w', 'week', 'weeks'], 7 * 86_400_000],
	[['month', 'months'], 30 * 86_400_000],
	[['y', 'year', 'years'], 365 * 86_400_000],
];

/** Milliseconds for an Ioto duration; throws naming `key` when the value is not one. */
export function durationMs(value: unknown, key: string): number {
	if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value * 1000;
	if (typeof value === 'string') {
		const text = value.trim().toLowerCase();
		if (text === 'never' || text === 'forever' || text === 'infinite') return Infinity;
		const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text);
		if (match) {
			const n = Number(match[1]);
			for (const [names, ms] of UNITS) if (names.includes(match[2])) return n * ms;
		}
	}
	throw new RangeError(`${key}: not a duration: ${JSON.stringify(value)}`);
}
