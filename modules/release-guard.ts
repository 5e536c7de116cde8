/*
 * What the device will not install: a release that is not newer than what runs (or below the
 * version floor) unless the cloud marks it as a permitted downgrade, and a release that already
 * failed or was vetoed here. Checked before anything is erased.
 *
 * A release is remembered with the reason it failed. A failure the agent saw for itself (a
 * self-test that failed, a veto) blocks it at once. A trial that simply never confirmed
 * (ROLLED_BACK) has an unknown cause: a crash of the new firmware, or a power cut or reset in
 * the seconds before it could confirm. Such a release gets one more attempt and is blocked at
 * its second rollback, so a badly timed power cut cannot keep a device off good firmware while
 * crashing firmware is still tried only twice.
 */
import type { StorePort } from './ports';
import type { ReleaseOffer } from './checkin';
import { compareSemver, parseSemver } from './semver';
import { Reason, UpdateError } from './reasons';

const FLOOR_KEY = 'floor';
const BLOCKED_KEY = 'blocked';
const MAX_BLOCKED = 16;

interface Blocked {
	update: string;
	checksum: string;
	reason: string;
	/** How many times it failed here. */
	count: number;
}

/** Failures of unknown cause a release may have before it is blocked. */
export const ROLLBACKS_BEFORE_BLOCK = 2;

export class ReleaseGuard {
	#store: StorePort;

	constructor(store: StorePort) {
		this.#store = store;
	}

	/** The lowest version this device may run without an explicit downgrade. */
	get floor(): string | undefined {
		const v = this.#store.get(FLOOR_KEY);
		return parseSemver(v) ? v : undefined;
	}

	/** Raise (or, for an app's own rollback, set) the floor to the version now confirmed. */
	setFloor(version: string): void {
		if (this.#store.get(FLOOR_KEY) !== version) this.#store.set(FLOOR_KEY, version);
	}

	blocked(): Blocked[] {
		try {
			const list = JSON.parse(this.#store.get(BLOCKED_KEY) ?? '[]');
			return Array.isArray(list) ? list : [];
		} catch {
			return [];
		}
	}

	/** Remember that `offer` failed here for `reason`. */
	block(offer: ReleaseOffer, reason: string): void {
		const all = this.blocked();
		const before = all.find((b) => b.update === offer.update);
		const list = all.filter((b) => b !== before);
		list.push({ update: offer.update, checksum: offer.checksum, reason, count: (before?.count ?? 0) + 1 });
		this.#store.set(BLOCKED_KEY, JSON.stringify(list.slice(-MAX_BLOCKED)));
	}

	/** Throws UpdateError when the device must not take `offer` while running `running`. */
	check(offer: ReleaseOffer, running: string): void {
		const hit = this.blocked().find((b) => (b.update === offer.update || b.checksum === offer.checksum)
			&& (b.reason !== Reason.ROLLED_BACK || (b.count ?? 1) >= ROLLBACKS_BEFORE_BLOCK));
		if (hit) throw new UpdateError(Reason.RELEASE_BLOCKED, `release ${offer.update} (${offer.version}) ${hit.reason.toLowerCase().replace(/_/g, ' ')} here before`);
		const order = compareSemver(offer.version, running);
		if (order === 0) throw new UpdateError(Reason.DOWNGRADE_REFUSED, `offered ${offer.version}, which is already running`);
		if (offer.downgrade) return;
		if (order < 0) throw new UpdateError(Reason.DOWNGRADE_REFUSED, `offered ${offer.version}, older than the running ${running}`);
		const floor = this.floor;
		if (floor && compareSemver(offer.version, floor) < 0) {
			throw new UpdateError(Reason.DOWNGRADE_REFUSED, `offered ${offer.version}, below the version floor ${floor}`);
		}
	}
}
