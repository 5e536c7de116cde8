import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFileStore } from '../../hosts/sim/file-store';
import { CutAtOperation, OperationCounter, PowerCut } from '../../hosts/sim/flash/faults';

function storeFile(t: { teardown(fn: () => void): void }): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-store-'));
	t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
	return path.join(dir, 'store.json');
}

test('each set and delete is one store operation', (t) => {
	const counter = new OperationCounter();
	const store = createFileStore(storeFile(t), counter);
	store.set('a', '1');
	store.set('a', '2');
	store.delete('a');
	store.delete('missing');
	t.is(store.get('x'), undefined);
	t.deepEqual(counter.kinds, { erase: 0, write: 0, store: 4 });
});

test('a power cut at a set or delete leaves the value as it was, on disk and in memory', (t) => {
	const file = storeFile(t);
	// [operation cut, what the store holds after the cut]: set a=1 (1), set b=2 (2), set a=3 (3), delete b (4).
	const table: [number, Record<string, string>][] = [
		[1, {}],
		[2, { a: '1' }],
		[3, { a: '1', b: '2' }],
		[4, { a: '3', b: '2' }],
	];
	for (const [at, expected] of table) {
		fs.rmSync(file, { force: true });
		const faults = new CutAtOperation(at);
		const store = createFileStore(file, faults);
		const steps = [() => store.set('a', '1'), () => store.set('b', '2'), () => store.set('a', '3'), () => store.delete('b')];
		t.throws(() => steps.forEach((step) => step()), { instanceOf: PowerCut }, `cut at ${at}`);
		const inMemory = Object.fromEntries(['a', 'b'].flatMap((k) => (store.get(k) === undefined ? [] : [[k, store.get(k)!]])));
		t.deepEqual(inMemory, expected, `in memory, cut at ${at}`);
		t.deepEqual({ ...JSON.parse(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '{}') }, expected, `on disk, cut at ${at}`);
		const reopened = createFileStore(file);
		t.is(reopened.get('a'), expected.a);
		// The dead device writes nothing more.
		t.throws(() => store.set('c', 'x'), { instanceOf: PowerCut });
		t.is(createFileStore(file).get('c'), undefined);
	}
});

test('bad keys and values are refused before the fault injector is asked', (t) => {
	const counter = new OperationCounter();
	const store = createFileStore(storeFile(t), counter);
	t.throws(() => store.set('', 'x'), { instanceOf: RangeError, message: /store key must be 1 to 15 characters/ });
	t.throws(() => store.set('a-key-that-is-too-long', 'x'), { instanceOf: RangeError });
	t.throws(() => store.set('k', 'x'.repeat(4001)), { instanceOf: RangeError, message: /exceeds 4000 bytes/ });
	t.throws(() => store.set('k', 5 as unknown as string), { instanceOf: TypeError });
	t.throws(() => store.delete(''), { instanceOf: RangeError });
	t.is(counter.count, 0);
});
