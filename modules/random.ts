/*
 * A small seeded PRNG for jitter. XS's Math.random is deterministic per engine start, so every
 * device of a fleet would draw the same "random" delays; seeding from the device id and the
 * clock gives each device its own sequence.
 */
export function seededRandom(seedText: string): () => number {
	let h = 2166136261;
	for (let i = 0; i < seedText.length; i++) h = Math.imul(h ^ seedText.charCodeAt(i), 16777619);
	let state = h >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
