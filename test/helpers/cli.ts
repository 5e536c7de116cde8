/* Run the `updraft` CLI in this process and capture what it prints (callers run one at a time). */
import { main } from '../../simulator/cli/main';

export async function updraft(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	let stdout = '';
	let stderr = '';
	const out = process.stdout.write;
	const err = process.stderr.write;
	process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
	process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
	try {
		const code = await main(argv);
		return { code, stdout, stderr };
	} finally {
		process.stdout.write = out;
		process.stderr.write = err;
	}
}
