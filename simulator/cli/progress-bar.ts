/*
 * A download progress bar. On a terminal it redraws one line; elsewhere (CI logs, pipes) it
 * prints a line at each quarter so logs stay short.
 */
export function createProgressBar(out: NodeJS.WriteStream, label: string, width = 30) {
	let lastQuarter = -1;
	let drawn = false;
	return {
		update(received: number, total: number) {
			const ratio = total > 0 ? Math.min(1, received / total) : 0;
			const percent = Math.floor(ratio * 100);
			if (out.isTTY) {
				const full = Math.round(ratio * width);
				out.write(`\r${label} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(percent).padStart(3)}%  ${formatBytes(received)}/${formatBytes(total)}`);
				drawn = true;
			} else {
				const quarter = Math.floor(ratio * 4);
				if (quarter > lastQuarter) {
					lastQuarter = quarter;
					out.write(`${label} ${String(quarter * 25).padStart(3)}%  ${formatBytes(received)}/${formatBytes(total)}\n`);
				}
			}
		},
		done() {
			if (drawn) out.write('\n');
			drawn = false;
		},
	};
}

export function formatBytes(n: number): string {
	if (n < 1024) return `${n} B`;
	if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
	return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
