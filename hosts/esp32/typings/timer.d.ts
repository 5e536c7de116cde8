/*
 * Moddable's Timer (modules/base/timer), from documentation/base/base.md § class Timer. The
 * callback runs with the timer as argument; a one-shot timer is freed after it fires.
 */
declare module 'timer' {
	export type TimerCallback = (timer: Timer) => void;
	export default class Timer {
		private constructor();
		private brand: boolean;
		/** No interval: as soon as possible. Interval only: once. With repeat: then every repeat ms. */
		static set(callback: TimerCallback, interval?: number, repeat?: number): Timer;
		static repeat(callback: TimerCallback, interval: number): Timer;
		/** Reschedule; without intervals, unschedule. */
		static schedule(timer: Timer, interval?: number, repeat?: number): void;
		static clear(timer: Timer | undefined | null): void;
		/** Block for `milliseconds`. */
		static delay(milliseconds: number): void;
	}
}
