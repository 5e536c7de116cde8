import test from 'ava';
import { UpdateMachine, TRANSITIONS, ON_BOOT, STATE_KEY, type UpdateState } from '../../modules/update-machine';
import type { ReleaseOffer } from '../../modules/checkin';
import { memoryStore, manualClock } from '../helpers/memory-ports';

const offer: ReleaseOffer = { url: 'https://localhost/i.bin', checksum: 'a'.repeat(64), version: '1.1.0', update: 'r1' };
const states = Object.keys(TRANSITIONS) as UpdateState[];

test('a fresh device starts idle and persists nothing until it moves', (t) => {
	const store = memoryStore();
	const m = UpdateMachine.load(store, manualClock());
	t.is(m.state, 'idle');
	t.is(m.bootedFrom, 'idle');
	t.is(store.writes, 0);
});

test('the happy path walks idle → checking → downloading → verifying → ready → activating → idle', (t) => {
	const store = memoryStore();
	const m = UpdateMachine.load(store, manualClock());
	m.enter('checking', { from: '1.0.0' });
	m.enter('downloading', { offer });
	for (const s of ['verifying', 'ready', 'activating'] as const) {
		m.enter(s);
		const saved = JSON.parse(store.get(STATE_KEY)!);
		t.is(saved.state, s, 'each state is written before the agent acts in it');
		t.deepEqual(saved.offer, offer);
		t.is(saved.from, '1.0.0');
	}
	m.enter('idle');
	const saved = JSON.parse(store.get(STATE_KEY)!);
	t.is(saved.state, 'idle');
	t.is(saved.offer, undefined, 'idle forgets the release');
	t.is(saved.seq, 6);
});

// Every pair of states: legal moves succeed, all others throw and leave the record as it was.
for (const from of states) {
	for (const to of states) {
		const legal = TRANSITIONS[from].includes(to);
		test(`transition ${from} -> ${to} is ${legal ? 'legal' : 'refused'}`, (t) => {
			const store = memoryStore({ [STATE_KEY]: JSON.stringify({ v: 1, state: from, offer, from: '1.0.0', since: 0, seq: 1 }) });
			// load() maps interrupted states; build the machine in `from` by loading an activating
			// record only when that is the state under test, else walk there.
			const m = UpdateMachine.load(store, manualClock());
			if (m.state !== from) {
				const path: Record<UpdateState, UpdateState[]> = {
					idle: [], checking: ['checking'], downloading: ['checking', 'downloading'],
					verifying: ['checking', 'downloading', 'verifying'], ready: ['checking', 'downloading', 'verifying', 'ready'],
					activating: ['checking', 'downloading', 'verifying', 'ready', 'activating'],
					confirming: ['checking', 'downloading', 'verifying', 'ready', 'activating', 'confirming'],
				};
				for (const s of path[from]) m.enter(s, { offer, from: '1.0.0' });
			}
			t.is(m.state, from);
			const before = store.get(STATE_KEY);
			if (legal) {
				t.notThrows(() => m.enter(to, { offer }));
				t.is(m.state, to);
			} else {
				t.throws(() => m.enter(to, { offer }), { message: /illegal update transition/ });
				t.is(store.get(STATE_KEY), before);
			}
		});
	}
}

// What each persisted state resumes as after a restart.
for (const state of states) {
	test(`a restart in ${state} resumes in ${ON_BOOT[state]}`, (t) => {
		const store = memoryStore({ [STATE_KEY]: JSON.stringify({ v: 1, state, offer, from: '1.0.0', since: 5, seq: 9 }) });
		const m = UpdateMachine.load(store, manualClock());
		t.is(m.bootedFrom, state);
		t.is(m.state, ON_BOOT[state]);
		t.is(JSON.parse(store.get(STATE_KEY)!).state, ON_BOOT[state], 'the mapped state is persisted');
		if (m.state === 'activating') t.deepEqual(m.offer, offer);
	});
}

test('an unreadable record is treated as idle', (t) => {
	for (const text of ['{', '[]', 'null', '{"v":2,"state":"ready","seq":1}', '{"v":1,"state":"flying","seq":1}']) {
		const m = UpdateMachine.load(memoryStore({ [STATE_KEY]: text }), manualClock());
		t.is(m.state, 'idle', text);
	}
});

test('states past checking need a release', (t) => {
	const m = UpdateMachine.load(memoryStore(), manualClock());
	m.enter('checking');
	t.throws(() => m.enter('downloading'), { message: /needs a release/ });
});
