/*
 * Named events with Ioto's watch semantics (rWatch / rWatchOff / rSignal / rSignalSync).
 *
 * A watcher is identified by its function together with the `data` it was registered with, so
 * the same function can watch on behalf of several owners and each can stop on its own.
 * Watchers are called in registration order; one that throws does not stop the others, and the
 * error is handed to `onError` so the agent can log it instead of losing the signal.
 */

export type Watcher = (arg: any, data: any) => unknown;

interface Registration {
	fn: Watcher;
	data: unknown;
}

export class EventBus {
	#watchers = new Map<string, Registration[]>();
	#onError: (name: string, error: unknown) => void;

	constructor(onError: (name: string, error: unknown) => void = () => {}) {
		this.#onError = onError;
	}

	/** Call `fn(arg, data)` whenever `name` is signalled. Watching twice with the same fn and data is a no-op. */
	watch(name: string, fn: Watcher, data?: unknown): void {
		if (typeof fn !== 'function') throw new TypeError(`watch("${name}"): watcher must be a function`);
		const list = this.#watchers.get(name) ?? [];
		if (list.some((r) => r.fn === fn && r.data === data)) return;
		this.#watchers.set(name, [...list, { fn, data }]);
	}

	/** Stop a watcher registered with the same fn and data. */
	unwatch(name: string, fn: Watcher, data?: unknown): void {
		const list = this.#watchers.get(name);
		if (!list) return;
		const rest = list.filter((r) => !(r.fn === fn && r.data === data));
		if (rest.length) this.#watchers.set(name, rest);
		else this.#watchers.delete(name);
	}

	/** How many watchers `name` has. */
	count(name: string): number {
		return this.#watchers.get(name)?.length ?? 0;
	}

	/**
	 * Call every watcher now, in order, and return what each returned (undefined for one that
	 * threw). Watchers added or removed by a watcher take effect from the next signal.
	 */
	signalSync(name: string, arg?: unknown): unknown[] {
		const list = this.#watchers.get(name) ?? [];
		return list.map(({ fn, data }) => {
			try {
				return fn(arg, data);
			} catch (error) {
				this.#onError(name, error);
				return undefined;
			}
		});
	}

	/**
	 * Call the watchers one after the other, waiting for any promise a watcher returns before the
	 * next, and resolve with their results; a watcher that threw (or rejected) yields its error,
	 * so the caller can treat it as a refusal. Used where the agent must not go on until the
	 * application had its say (device:update runs before the slot switch).
	 */
	async signal(name: string, arg?: unknown): Promise<unknown[]> {
		const list = this.#watchers.get(name) ?? [];
		const results: unknown[] = [];
		for (const { fn, data } of list) {
			try {
				results.push(await fn(arg, data));
			} catch (error) {
				this.#onError(name, error);
				results.push(error instanceof Error ? error : new Error(String(error)));
			}
		}
		return results;
	}
}
