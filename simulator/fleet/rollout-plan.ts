/*
 * How a fleet run rolls its release out: the percentages it goes through (the first one when the
 * release is created, each later one set on the live release through the admin API), and the
 * limit and rate it is created with. Checked here so that a bad command line gets a clear error
 * before a cloud is started.
 */
export interface RolloutPlan {
	/** Percentages of the fleet the release admits, stage by stage; [] admits everyone at once. */
	stages: number[];
	/** At most this many devices are given the release. */
	limit: number | null;
	/** At most `rate` new devices per `period` seconds. */
	rate: number | null;
	period: number | null;
	/** The release's distribution policy ('' : every device on an older version). */
	policy: string;
}

export const DEFAULT_STAGES = [10, 50, 100];

/** "10,50,100" → [10, 50, 100]; rising percentages above 0 and at most 100. */
export function parseStages(text: string): number[] {
	const trimmed = text.trim();
	if (trimmed === '' || trimmed === 'none') return [];
	const stages = trimmed.split(',').map((part) => {
		const p = Number(part.trim());
		if (part.trim() === '' || !Number.isFinite(p)) throw new RangeError(`stage percentages are numbers separated by commas: "${text}"`);
		return p;
	});
	return checkStages(stages);
}

export function checkStages(stages: readonly number[]): number[] {
	if (stages.length > 20) throw new RangeError(`at most 20 stages, not ${stages.length}`);
	let previous = 0;
	for (const p of stages) {
		if (!(p > 0 && p <= 100)) throw new RangeError(`a stage percentage is above 0 and at most 100, not ${p}`);
		if (p <= previous) throw new RangeError(`stage percentages must rise: ${p} follows ${previous}`);
		previous = p;
	}
	return [...stages];
}

export function checkPlan(plan: RolloutPlan): RolloutPlan {
	checkStages(plan.stages);
	if (plan.limit !== null && (!Number.isSafeInteger(plan.limit) || plan.limit < 0)) throw new RangeError(`limit must be a whole number >= 0, not ${plan.limit}`);
	if ((plan.rate === null) !== (plan.period === null)) throw new RangeError('rate and period go together: give both or neither');
	if (plan.rate !== null && (!Number.isSafeInteger(plan.rate) || plan.rate < 1)) throw new RangeError(`rate must be a whole number >= 1, not ${plan.rate}`);
	if (plan.period !== null && (!Number.isSafeInteger(plan.period) || plan.period < 1 || plan.period > 3600)) {
		throw new RangeError(`the rate period is 1 to 3600 seconds in a fleet run, not ${plan.period}`);
	}
	if (typeof plan.policy !== 'string') throw new TypeError('policy must be a string');
	return plan;
}
