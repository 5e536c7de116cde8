/*
 * The globals of the xsnap worker that code evaluated inside XS uses. Declared as an interface,
 * not as ambient globals, so that Node-side files sharing the root type-check do not see a
 * `print` or `issueCommand` that would not exist at run time: XS-side code reads them through
 * `globalThis as unknown as XsGlobals`.
 */
export interface XsGlobals {
	/** Calls the host synchronously; returns its answer. */
	issueCommand(message: ArrayBuffer): ArrayBuffer;
	/** Writes its arguments, space-separated, as one line on the worker's stdout. */
	print(...values: unknown[]): void;
	/** Defined by evaluated code when the host should be able to call in. */
	handleCommand?: (message: ArrayBuffer) => ArrayBuffer | undefined;
	/** Runs `callback` once the promise jobs queued so far have run. */
	setImmediate(callback: () => void): void;
	TextEncoder: new () => { encode(text: string): Uint8Array };
	TextDecoder: new () => { decode(bytes: ArrayBuffer | Uint8Array): string };
}
