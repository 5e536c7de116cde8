/*
 * The live view of a fleet run. On a terminal one line is redrawn (at most ten times a second):
 * the stage and its percentage, the wave's progress bar, devices on the new version, devices
 * failing, elapsed time. Elsewhere (logs, pipes) a line is printed when a wave ends and every
 * five seconds in between.
 */
import type { FleetProgress } from './fleet-run';
import { formatDuration } from './summary-table';

export function progressLine(p: FleetProgress, width = 24): string {
	const ratio = p.waveSize > 0 ? Math.min(1, p.waveDone / p.waveSize) : 0;
	const full = Math.round(ratio * width);
	const stage = `stage ${p.stage}/${p.stages}${p.percentage === null ? '' : ` (${p.percentage}%)`}`;
	const what = p.phase === 'publishing' ? 'setting the release'
		: p.phase === 'waiting' ? 'waiting for the rate window'
			: `wave ${p.wave} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${p.waveDone}/${p.waveSize}`;
	return `${stage}  ${what}  updated ${p.updated}/${p.devices}  failing ${p.failing}  ${formatDuration(p.elapsedMs)}`;
}

export function createProgressDisplay(out: NodeJS.WritableStream & { isTTY?: boolean }) {
	let lastDraw = 0;
	let lastLine = 0;
	let lastWave = '';
	let drawn = false;
	return {
		update(p: FleetProgress) {
			const now = Date.now();
			if (out.isTTY) {
				const final = p.phase === 'done';
				if (!final && now - lastDraw < 100 && p.waveDone !== p.waveSize) return;
				lastDraw = now;
				out.write(`\r\x1b[K${progressLine(p)}`);
				drawn = true;
				return;
			}
			const waveKey = `${p.stage}.${p.wave}`;
			const waveEnded = p.phase === 'wave' && p.waveSize > 0 && p.waveDone === p.waveSize && waveKey !== lastWave;
			if (waveEnded) lastWave = waveKey;
			if (waveEnded || now - lastLine >= 5000) {
				lastLine = now;
				out.write(`${progressLine(p)}\n`);
			}
		},
		done() {
			if (drawn) out.write('\n');
			drawn = false;
		},
	};
}
