/*
 * Percentage rollouts: a device is in or out of a release's percentage by a hash of
 * (release id, device id), so its answer never flips between check-ins, raising the percentage
 * only ever adds devices, and each release samples a different set of devices.
 *
 * The hash is FNV-1a over the UTF-16 code units followed by MurmurHash3's finalizer, which
 * spreads even sequential ids (dev-1, dev-2, ...) evenly. It is not a secret: a device that
 * picks its own id could choose its bucket with any public hash; percentages shape a rollout,
 * they do not guard anything.
 */

function mix(text: string, hash: number): number {
	let h = hash;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h;
}

/** The device's place in [0, 100) for this release. */
export function rolloutBucket(releaseId: string, deviceId: string): number {
	let h = mix(deviceId, mix(releaseId, 0x811c9dc5) ^ 0xff);
	h ^= h >>> 16;
	h = Math.imul(h, 0x85ebca6b);
	h ^= h >>> 13;
	h = Math.imul(h, 0xc2b2ae35);
	h ^= h >>> 16;
	return ((h >>> 0) / 0x1_0000_0000) * 100;
}

/** Whether the device is admitted by a percentage of 0-100 (null admits everyone). */
export function admittedByPercentage(percentage: number | null, releaseId: string, deviceId: string): boolean {
	if (percentage === null || percentage >= 100) return true;
	if (percentage <= 0) return false;
	return rolloutBucket(releaseId, deviceId) < percentage;
}
