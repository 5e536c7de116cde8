import test from 'ava';
import { createNodeClock, WARP_MIN } from '../../hosts/sim/node-clock';

const wall = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('without a scale, timers run in wall time', async (t) => {
	const clock = createNodeClock();
	const start = Date.now();
	await new Promise<void>((resolve) => clock.setTimer(resolve, 50));
	t.true(Date.now() - start >= 45);
	clock.dispose();
});

test('a long idle wait skips ahead, and the clock jumps to its end', async (t) => {
	const clock = createNodeClock(10_000);
	const before = clock.now();
	const start = Date.now();
	await new Promise<void>((resolve) => clock.setTimer(resolve, 3_600_000));
	t.true(Date.now() - start < 3000, 'an hour passes in seconds');
	t.true(clock.now() - before >= 3_600_000, 'device time moved a full hour');
	clock.dispose();
});

test('short waits and busy periods are never accelerated', async (t) => {
	const clock = createNodeClock(1000);
	let fired = false;
	clock.setTimer(() => (fired = true), WARP_MIN - 1);
	await wall(100);
	t.false(fired, 'a wait shorter than WARP_MIN runs at wall speed');
	const id = clock.setTimer(() => t.fail(), WARP_MIN * 10);
	clock.setBusy(true);
	await wall(150);
	clock.clearTimer(id);
	t.pass();
	clock.dispose();
});

test('timers fire in order of device time, and a clock continues across restarts', async (t) => {
	const clock = createNodeClock(100_000);
	const order: number[] = [];
	await new Promise<void>((resolve) => {
		clock.setTimer(() => order.push(2), 2 * 3_600_000);
		clock.setTimer(() => {
			order.push(3);
			resolve();
		}, 3 * 3_600_000);
		clock.setTimer(() => order.push(1), 3_600_000);
	});
	t.deepEqual(order, [1, 2, 3]);
	const later = createNodeClock(1, clock.now());
	t.true(Math.abs(later.now() - clock.now()) < 50);
	clock.dispose();
	later.dispose();
});
