/*
 * `npm run bench`: every benchmark side by side in one run, printed as one table of measured
 * values against their goals (`--json` for machines). Speed and memory goals are checked here,
 * never in timed tests.
 */
import { benchXsEngine } from './xs-engine';

interface Row {
	name: string;
	value: string;
	goal: string;
	ok: boolean;
}

async function main(argv: string[]): Promise<number> {
	const json = argv.includes('--json');
	const log = json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
	const rows: Row[] = [];
	const xs = await benchXsEngine([1, 64], log);
	for (const run of xs.runs) {
		rows.push({
			name: `XS computrons/MiB, agent vs minimal loop (${run.sizeMiB} MiB image)`,
			value: `${run.agentComputronsPerMiB} vs ${run.loopComputronsPerMiB} = ${run.ratio.toFixed(2)}x`,
			goal: '<= 1.5x',
			ok: run.ratio <= 1.5,
		});
	}
	rows.push({
		name: `XS heap after update, 64 MiB vs 1 MiB image`,
		value: `${xs.heapGrowthBytes >= 0 ? '+' : ''}${(xs.heapGrowthBytes / 1024).toFixed(1)} KiB`,
		goal: 'flat (within 8 KiB)',
		ok: Math.abs(xs.heapGrowthBytes) <= 8 * 1024,
	});
	if (json) {
		process.stdout.write(`${JSON.stringify({ rows, xs }, null, 2)}\n`);
	} else {
		const width = Math.max(...rows.map((r) => r.name.length));
		const valueWidth = Math.max(...rows.map((r) => r.value.length));
		process.stdout.write(`${'benchmark'.padEnd(width)}  ${'measured'.padEnd(valueWidth)}  goal\n`);
		for (const r of rows) process.stdout.write(`${r.name.padEnd(width)}  ${r.value.padEnd(valueWidth)}  ${r.goal} ${r.ok ? 'ok' : 'MISSED'}\n`);
	}
	return 0;
}

process.exitCode = await main(process.argv.slice(2));
