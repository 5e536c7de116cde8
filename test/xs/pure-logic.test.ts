/*
 * Runs test/xs/pure-logic.xs.ts inside the XS engine and asserts on the report it sends back.
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForXs } from '../../simulator/xs/bundle';
import { XsWorker } from '../../simulator/xs/xs-worker';
import type { DeliveryResult } from '../../simulator/xs/xs-worker';
import type { CheckResult, PureLogicMessage } from './pure-logic.xs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = fileURLToPath(new URL('./pure-logic.xs.ts', import.meta.url));

/**
 * The agent's pure modules that must be checked inside XS once they exist on disk. Each present
 * one needs a `covering('<path without .ts>', ...)` block in pure-logic.xs.ts.
 */
const PURE_MODULES = [
	'modules/semver.ts',
	'modules/bytes.ts',
	'modules/http/url.ts',
	'modules/http/response-parser.ts',
	'modules/checkin.ts',
	'modules/schedule/cron.ts',
	'modules/schedule/duration.ts',
	'modules/backoff.ts',
	'modules/verdict.ts',
];

/** Fewer results than this means checks were lost on the way. */
const MIN_CHECKS = 20;

interface Run {
	results: CheckResult[];
	delivery: DeliveryResult;
	printed: string[];
}

async function runInXs(): Promise<Run> {
	const script = await bundleForXs(entry);
	const printed: string[] = [];
	let results: CheckResult[] | undefined;
	let running: string | undefined;
	const worker = await XsWorker.start({
		name: 'pure-logic',
		meteringLimit: 0,
		stdout: (line) => printed.push(line),
		onCommand: (msg) => {
			const message = JSON.parse(new TextDecoder().decode(msg)) as PureLogicMessage;
			if (message.kind === 'check-start') running = message.name;
			else if (message.kind === 'pure-logic-report' && Array.isArray(message.results)) {
				if (results) throw new Error('the XS checks reported twice');
				results = message.results;
				running = undefined;
			} else throw new Error(`unexpected message from the XS checks: ${JSON.stringify(message).slice(0, 200)}`);
			return 'ok';
		},
	});
	try {
		const delivery = await worker.evaluate(script).catch((error: Error) => {
			throw running ? new Error(`${error.message}, while running the check "${running}"`, { cause: error }) : error;
		});
		if (!results) {
			throw new Error(`the XS checks never reported (the check "${running}" waits on something that never happens?)`);
		}
		return { results, delivery, printed };
	} finally {
		await worker.close();
	}
}

const run = runInXs();
// The tests await `run` themselves; this only keeps an early failure from counting as unhandled.
run.catch(() => {});

test('every check passes inside XS', async (t) => {
	const { results, delivery, printed } = await run;
	if (printed.length > 0) t.log(`printed in XS:\n${printed.join('\n')}`);
	t.true(results.length >= MIN_CHECKS, `only ${results.length} checks ran`);
	const failed = results.filter((r) => !r.ok);
	t.deepEqual(
		failed.map((r) => `${r.name}: ${r.message}`),
		[],
	);
	t.log(`${results.length} checks, ${delivery.meter.compute} computrons`);
});

test('check names are unique', async (t) => {
	const { results } = await run;
	const names = results.map((r) => r.name);
	t.deepEqual(
		names.filter((name, i) => names.indexOf(name) !== i),
		[],
	);
});

test('every pure module present on disk is checked inside XS', async (t) => {
	const { results } = await run;
	const covered = new Set(results.map((r) => r.module));
	const present = PURE_MODULES.filter((path) => existsSync(root + path));
	t.true(present.length > 0);
	const missing = present.map((path) => path.replace(/\.ts$/, '')).filter((module) => !covered.has(module));
	t.deepEqual(missing, [], `add covering('<module>', ...) checks to test/xs/pure-logic.xs.ts for: ${missing.join(', ')}`);
});

test('the engine itself is checked', async (t) => {
	const { results } = await run;
	t.true(results.filter((r) => r.module === 'xs').length >= 3);
});

test('bundleForXs refuses Node builtins and missing entries', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'xs-bundle-'));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	// [source of the entry, what the build error names]
	const cases: [string, RegExp][] = [
		[`import { readFileSync } from 'node:fs'; export const f = readFileSync;`, /"node:fs" is a Node builtin/],
		[`import { join } from 'path'; export const f = join;`, /"path" is a Node builtin/],
		[`import { promises } from 'fs/promises'; export const f = promises;`, /"fs\/promises" is a Node builtin/],
	];
	for (const [i, [source, message]] of cases.entries()) {
		const file = join(dir, `entry${i}.ts`);
		writeFileSync(file, source);
		await t.throwsAsync(bundleForXs(file), { message }, source);
	}
	await t.throwsAsync(bundleForXs(join(dir, 'absent.ts')), { message: /entry file not found/ });
});

test('bundleForXs exposes exports under globalName and applies define', async (t) => {
	const dir = mkdtempSync(join(tmpdir(), 'xs-bundle-'));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	const file = join(dir, 'entry.ts');
	writeFileSync(file, `declare const BUILD_FLAVOUR: string;\nexport const flavour: string = BUILD_FLAVOUR;\n`);
	const script = await bundleForXs(file, { globalName: 'Entry', define: { BUILD_FLAVOUR: '"xs"' } });
	const worker = await XsWorker.start({ name: 'bundle-globals' });
	t.teardown(() => worker.terminate());
	await worker.evaluate(script);
	const { reply } = await worker.evaluate(`new TextEncoder().encode(Entry.flavour).buffer`);
	t.is(new TextDecoder().decode(reply), 'xs');
	await t.throwsAsync(bundleForXs(file, { globalName: 'not valid' }), { message: /globalName/ });
});
