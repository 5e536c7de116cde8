/*
 * Bundle TypeScript for the XS worker: `XsWorker.evaluate` runs scripts, not modules, so the
 * entry and everything it imports become one ES2022 IIFE. Code meant for XS must not reach for
 * Node, so importing a Node builtin fails the build instead of leaving a dangling require.
 */
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';

export interface BundleForXsOptions {
	/** Expose the entry's exports as this global (a `var` in the script's scope). */
	globalName?: string;
	/** Replace identifiers with constant expressions, as esbuild's `define`. */
	define?: Record<string, string>;
}

const NODE_BUILTINS = new Set(builtinModules.filter((name) => !name.startsWith('_')));

const refuseNodeBuiltins: Plugin = {
	name: 'refuse-node-builtins',
	setup(b) {
		b.onResolve({ filter: /.*/ }, (args) => {
			if (!args.path.startsWith('node:') && !NODE_BUILTINS.has(args.path.split('/')[0])) return undefined;
			return {
				errors: [{ text: `"${args.path}" is a Node builtin, which does not exist on XS (imported by ${args.importer})` }],
			};
		});
	},
};

/** Bundle `entry` into the text of a script for XS. */
export async function bundleForXs(entry: string, options: BundleForXsOptions = {}): Promise<string> {
	if (typeof entry !== 'string' || entry === '') throw new TypeError('bundleForXs needs the path of an entry file');
	const entryPath = resolve(entry);
	if (!existsSync(entryPath)) throw new Error(`bundleForXs: entry file not found: ${entryPath}`);
	const { globalName, define } = options;
	if (globalName !== undefined && !/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(globalName)) {
		throw new TypeError(`bundleForXs: globalName must be a JS identifier path, got ${JSON.stringify(globalName)}`);
	}
	const result = await build({
		entryPoints: [entryPath],
		bundle: true,
		format: 'iife',
		platform: 'neutral',
		target: 'es2022',
		mainFields: ['module', 'main'],
		loader: { '.ts': 'ts' },
		resolveExtensions: ['.ts', '.js', '.mjs', '.json'],
		write: false,
		logLevel: 'silent',
		plugins: [refuseNodeBuiltins],
		...(globalName === undefined ? {} : { globalName }),
		...(define === undefined ? {} : { define }),
	});
	const output = result.outputFiles[0];
	if (!output) throw new Error(`bundleForXs: esbuild produced no output for ${entryPath}`);
	return output.text;
}
