/*
 * Cron specs for Ioto's update.schedule and update.apply: five fields, minute hour day month
 * day-of-week, in device local time, with lists (1,2), ranges (1-5), steps (*\/15, 0-30/10) and
 * Ioto's aliases. `nextMatch` finds the first whole minute at or after a time that matches, so the
 * agent can sleep until a window opens.
 */

export const CRON_ALIASES: Readonly<Record<string, string>> = {
	anytime: '* * * * *',
	never: '0 0 0 0 0',
	unscheduled: '0 0 0 0 0',
	day: '* 6-17 * * *',
	weekdays: '* * * * 1-5',
	workhours: '* 9-17 * * 1-5',
	midnight: '* 0 * * *',
	night: '* 0-5,18-23 * * *',
};

export interface CronSpec {
	text: string;
	minutes: boolean[];
	hours: boolean[];
	days: boolean[];
	months: boolean[];
	weekdays: boolean[];
	/** Day-of-month and day-of-week both restricted: cron matches either (the classic rule). */
	dayOr: boolean;
	/** A spec no time can match (Ioto's "never"). */
	never: boolean;
}

const FIELDS: [string, number, number][] = [['minute', 0, 59], ['hour', 0, 23], ['day', 1, 31], ['month', 1, 12], ['weekday', 0, 7]];

function parseField(text: string, name: string, min: number, max: number): boolean[] | null {
	const set = new Array<boolean>(max + 1).fill(false);
	for (const part of text.split(',')) {
		const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
		if (!m) throw new SyntaxError(`cron ${name} field: cannot read "${part}"`);
		let lo = min;
		let hi = max;
		if (m[1] !== '*') {
			lo = Number(m[2]);
			hi = m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? max : lo;
		}
		const step = m[4] !== undefined ? Number(m[4]) : 1;
		if (step < 1) throw new SyntaxError(`cron ${name} field: step must be at least 1 in "${part}"`);
		if (lo > hi) throw new SyntaxError(`cron ${name} field: range "${part}" runs backwards`);
		// Ioto's "never" is written with zeros where cron allows none: such a field matches nothing.
		if (lo < min || hi > max) {
			if (lo === 0 && hi === 0 && m[4] === undefined) return null;
			throw new SyntaxError(`cron ${name} field: "${part}" is outside ${min}-${max}`);
		}
		for (let v = lo; v <= hi; v += step) set[v] = true;
	}
	return set;
}

export function parseCron(text: string): CronSpec {
	if (typeof text !== 'string') throw new TypeError('cron spec must be a string');
	const expanded = CRON_ALIASES[text.trim().toLowerCase()] ?? text.trim();
	const parts = expanded.split(/\s+/);
	if (parts.length !== 5) throw new SyntaxError(`cron spec needs 5 fields (minute hour day month weekday): "${text}"`);
	const fields = parts.map((p, i) => parseField(p, FIELDS[i][0], FIELDS[i][1], FIELDS[i][2]));
	const never = fields.some((f) => f === null);
	const [minutes, hours, days, months, weekdays] = fields.map((f) => f ?? []);
	if (weekdays[7]) weekdays[0] = true;
	return { text, minutes, hours, days, months, weekdays, dayOr: parts[2] !== '*' && parts[4] !== '*', never };
}

export function matches(spec: CronSpec, time: Date): boolean {
	if (spec.never) return false;
	if (!spec.minutes[time.getMinutes()] || !spec.hours[time.getHours()] || !spec.months[time.getMonth() + 1]) return false;
	const day = spec.days[time.getDate()];
	const weekday = spec.weekdays[time.getDay()];
	return spec.dayOr ? day || weekday : day && weekday;
}

/**
 * The first time at or after `from` (ms) that the spec matches, to the minute; `from` itself when
 * it matches. Infinity when nothing matches within ~4 years (a spec like Feb 31, or "never").
 */
export function nextMatch(spec: CronSpec, from: number): number {
	if (spec.never) return Infinity;
	const t = new Date(from);
	if (matches(spec, t)) return from;
	t.setSeconds(0, 0);
	t.setMinutes(t.getMinutes() + 1);
	const limit = from + 4 * 366 * 86_400_000;
	while (t.getTime() <= limit) {
		if (!spec.months[t.getMonth() + 1]) {
			t.setMonth(t.getMonth() + 1, 1);
			t.setHours(0, 0, 0, 0);
			continue;
		}
		const dayOk = spec.dayOr ? spec.days[t.getDate()] || spec.weekdays[t.getDay()] : spec.days[t.getDate()] && spec.weekdays[t.getDay()];
		if (!dayOk) {
			t.setDate(t.getDate() + 1);
			t.setHours(0, 0, 0, 0);
			continue;
		}
		if (!spec.hours[t.getHours()]) {
			t.setHours(t.getHours() + 1, 0, 0, 0);
			continue;
		}
		if (!spec.minutes[t.getMinutes()]) {
			t.setMinutes(t.getMinutes() + 1, 0, 0);
			continue;
		}
		return t.getTime();
	}
	return Infinity;
}
