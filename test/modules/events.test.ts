import test from 'ava';
import { EventBus } from '../../modules/events';

test('watchers run in registration order with (arg, data)', (t) => {
	const bus = new EventBus();
	const seen: string[] = [];
	bus.watch('e', (arg, data) => seen.push(`a:${arg}:${data}`), 'x');
	bus.watch('e', (arg) => seen.push(`b:${arg}`));
	bus.signalSync('e', 1);
	t.deepEqual(seen, ['a:1:x', 'b:1']);
});

test('the same fn with other data is another watcher; same fn and data is one', (t) => {
	const bus = new EventBus();
	const seen: unknown[] = [];
	const fn = (_arg: unknown, data: unknown) => seen.push(data);
	bus.watch('e', fn, 1);
	bus.watch('e', fn, 1);
	bus.watch('e', fn, 2);
	t.is(bus.count('e'), 2);
	bus.signalSync('e');
	t.deepEqual(seen, [1, 2]);
	bus.unwatch('e', fn, 1);
	seen.length = 0;
	bus.signalSync('e');
	t.deepEqual(seen, [2]);
	bus.unwatch('e', fn, 2);
	t.is(bus.count('e'), 0);
});

test('a throwing watcher is reported and does not stop the others', (t) => {
	const errors: string[] = [];
	const bus = new EventBus((name, error) => errors.push(`${name}:${(error as Error).message}`));
	const seen: number[] = [];
	bus.watch('e', () => {
		throw new Error('boom');
	});
	bus.watch('e', () => seen.push(1));
	t.deepEqual(bus.signalSync('e'), [undefined, 1]);
	t.deepEqual(seen, [1]);
	t.deepEqual(errors, ['e:boom']);
});

test('signal waits for each async watcher in turn', async (t) => {
	const bus = new EventBus();
	const order: string[] = [];
	bus.watch('e', async () => {
		await new Promise((r) => setTimeout(r, 20));
		order.push('slow');
		return 'a';
	});
	bus.watch('e', () => {
		order.push('fast');
		return 'b';
	});
	t.deepEqual(await bus.signal('e'), ['a', 'b']);
	t.deepEqual(order, ['slow', 'fast']);
});

test('a watcher removed during a signal still sees that signal, not the next', (t) => {
	const bus = new EventBus();
	let calls = 0;
	const second = () => calls++;
	bus.watch('e', () => bus.unwatch('e', second));
	bus.watch('e', second);
	bus.signalSync('e');
	bus.signalSync('e');
	t.is(calls, 1);
});

test('watch refuses a non-function', (t) => {
	const bus = new EventBus();
	t.throws(() => bus.watch('e', 42 as never), { instanceOf: TypeError });
});
