/* Deterministic pseudo-random numbers for the fuzz tests, so a failure can be replayed from its seed. */
export function random(seed: number) {
	let state = seed >>> 0 || 1;
	const next = (): number => {
		state ^= state << 13;
		state ^= state >>> 17;
		state ^= state << 5;
		return (state >>> 0) / 0x1_0000_0000;
	};
	return {
		next,
		int: (n: number) => Math.floor(next() * n),
		pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
	};
}

export type Random = ReturnType<typeof random>;
