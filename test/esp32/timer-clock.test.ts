/* The ESP32 host's clock over (a fake of) Moddable's Timer: numeric ids for timer objects. */
import test from 'ava';
import { createTimerClock, type TimerModule } from '../../hosts/esp32/timer-clock';

class FakeTimers implements TimerModule<{ id: number }> {
	live = new Map<number, { callback: () => void; interval: number }>();
	next = 1;
	set(callback: () => void, interval: number) {
		const timer = { id: this.next++ };
		this.live.set(timer.id, { callback, interval });
		return timer;
	}
	clear(timer: { id: number } | undefined) {
		if (timer) this.live.delete(timer.id);
	}
	fire(id: number) {
		const entry = this.live.get(id)!;
		this.live.delete(id); // a one-shot Timer is freed once it fired
		entry.callback();
	}
}

test('timers fire once, are forgotten after, and clear by id', (t) => {
	const timers = new FakeTimers();
	const clock = createTimerClock(timers, () => 1234);
	t.is(clock.now(), 1234);
	const fired: string[] = [];
	const a = clock.setTimer(() => fired.push('a'), 10);
	const b = clock.setTimer(() => fired.push('b'), 20);
	t.not(a, b);
	t.is(clock.pending, 2);
	clock.clearTimer(b);
	t.is(timers.live.size, 1);
	timers.fire(1);
	t.deepEqual(fired, ['a']);
	t.is(clock.pending, 0);
	clock.clearTimer(a);
	clock.clearTimer(999);
	t.is(timers.live.size, 0);
});

test('delays are passed on, capped at what Timer takes; bad ones are refused', (t) => {
	const timers = new FakeTimers();
	const clock = createTimerClock(timers);
	clock.setTimer(() => {}, 0);
	clock.setTimer(() => {}, 40 * 86_400_000);
	t.deepEqual([...timers.live.values()].map((e) => e.interval), [0, 0x7fffffff]);
	t.throws(() => clock.setTimer(() => {}, -1), { instanceOf: RangeError });
	t.throws(() => clock.setTimer(() => {}, Number.NaN), { instanceOf: RangeError });
	t.throws(() => clock.setTimer(undefined as unknown as () => void, 1), { instanceOf: TypeError });
});
