/*
 * The update flow as one explicit, persisted state machine.
 *
 *   idle ─► checking ─► downloading ─► verifying ─► ready ─► activating ─(restart)─► confirming ─► idle
 *             │             │              │         │  ▲         │                     │
 *             └─────────────┴──────────────┴─────────┴──┼─────────┴──► idle ◄───────────┘
 *                                                       └── checking (a deferred image, offered again)
 *
 * Every transition is written to the store before the agent acts in the new state, so a power
 * cut at any point leaves a record saying where the flow was. At boot the record is mapped to
 * the state to resume in (ON_BOOT): checking, downloading and verifying changed nothing that
 * boots, so they fall back to idle (the download journal keeps the bytes already written);
 * `ready` keeps a verified image that was deferred; `activating` and `confirming` mean the boot
 * slot may have been switched, and the agent settles the outcome from which version runs and
 * whether it runs on trial.
 *
 * The record is versioned (`v`) so a later agent can migrate it; a record it cannot read is
 * treated as idle, which is always safe: the running slot is untouched by anything before
 * activation.
 */
import type { ClockPort, StorePort } from './ports';
import type { ReleaseOffer } from './checkin';

export type UpdateState = 'idle' | 'checking' | 'downloading' | 'verifying' | 'ready' | 'activating' | 'confirming';

/** Legal moves. Anything else is a bug in the agent and throws. */
export const TRANSITIONS: Readonly<Record<UpdateState, readonly UpdateState[]>> = {
	idle: ['checking'],
	checking: ['idle', 'downloading', 'ready'],
	downloading: ['verifying', 'idle'],
	verifying: ['ready', 'idle'],
	ready: ['activating', 'idle', 'checking'],
	activating: ['confirming', 'idle'],
	confirming: ['idle'],
};

/** Where a persisted state resumes after a restart or power cut. */
export const ON_BOOT: Readonly<Record<UpdateState, UpdateState>> = {
	idle: 'idle',
	checking: 'idle',
	downloading: 'idle',
	verifying: 'idle',
	ready: 'ready',
	activating: 'activating',
	confirming: 'confirming',
};

/** What the store holds under STATE_KEY. */
export interface MachineRecord {
	v: 1;
	state: UpdateState;
	/** The release being worked on (every state but idle). */
	offer?: ReleaseOffer;
	/** Version that ran when the update started, to tell after the restart whether it switched. */
	from?: string;
	/** When the state was entered (device clock, ms). */
	since: number;
	/** Counts writes, so a reboot loop shows in the record. */
	seq: number;
}

export const STATE_KEY = 'state';

const STATES = Object.keys(TRANSITIONS) as UpdateState[];

function readRecord(text: string | undefined): MachineRecord | undefined {
	if (text === undefined) return undefined;
	try {
		const r = JSON.parse(text) as MachineRecord;
		if (r && r.v === 1 && STATES.includes(r.state) && typeof r.seq === 'number') return r;
	} catch {
		// fall through: an unreadable record is treated as absent
	}
	return undefined;
}

export class UpdateMachine {
	#store: StorePort;
	#clock: ClockPort;
	#record: MachineRecord;
	/** The state the record held before boot mapped it; tells the agent what was interrupted. */
	readonly bootedFrom: UpdateState;

	private constructor(store: StorePort, clock: ClockPort, record: MachineRecord, bootedFrom: UpdateState) {
		this.#store = store;
		this.#clock = clock;
		this.#record = record;
		this.bootedFrom = bootedFrom;
	}

	/** Load the persisted record and map it to the state to resume in. */
	static load(store: StorePort, clock: ClockPort): UpdateMachine {
		const saved = readRecord(store.get(STATE_KEY));
		const bootedFrom = saved?.state ?? 'idle';
		const state = ON_BOOT[bootedFrom];
		const record: MachineRecord = state === 'idle' || !saved?.offer
			? { v: 1, state: 'idle', since: saved?.since ?? clock.now(), seq: saved?.seq ?? 0 }
			: { ...saved, state };
		const machine = new UpdateMachine(store, clock, record, bootedFrom);
		if (saved && saved.state !== record.state) machine.#save();
		return machine;
	}

	get state(): UpdateState {
		return this.#record.state;
	}

	get offer(): ReleaseOffer | undefined {
		return this.#record.offer;
	}

	get from(): string | undefined {
		return this.#record.from;
	}

	get record(): Readonly<MachineRecord> {
		return this.#record;
	}

	/**
	 * Move to `next`, persisting first. Entering idle drops the release; leaving idle requires the
	 * release being worked on (given when entering checking's successor, downloading).
	 */
	enter(next: UpdateState, details: { offer?: ReleaseOffer; from?: string } = {}): void {
		const current = this.#record.state;
		if (!TRANSITIONS[current].includes(next)) {
			throw new Error(`illegal update transition ${current} -> ${next}`);
		}
		const record: MachineRecord = { v: 1, state: next, since: this.#clock.now(), seq: this.#record.seq + 1 };
		if (next !== 'idle') {
			const offer = details.offer ?? this.#record.offer;
			const from = details.from ?? this.#record.from;
			if (offer) record.offer = offer;
			if (from) record.from = from;
			if (next !== 'checking' && !offer) throw new Error(`update state ${next} needs a release`);
		}
		this.#record = record;
		this.#save();
	}

	#save(): void {
		this.#store.set(STATE_KEY, JSON.stringify(this.#record));
	}
}
