/* `updraft device ...`: create a simulated device and run its agent. */
import * as fs from 'node:fs';
import { initDevice, type DeviceKind } from '../device/device-folder';
import { runDeviceOnce } from '../device/run-device';
import { runDeviceForever } from '../device/run-forever';
import { durationMs } from '../../modules/schedule/duration';
import { ENGINES, type Engine } from '../device/agent-handle';
import { parse, required, integer, props, UsageError } from './args';

export const deviceUsage = `updraft device init --dir DIR --id ID --product P --version V --cloud URL --ca FILE --token T
                    [--prop key=value]... [--slot-size BYTES] [--kind ota|script] [--trust PUBKEY_FILE]...
updraft device run --dir DIR --once [--engine xs|node] [--verbose]
updraft device run --dir DIR [--for DURATION] [--clock-scale N] [--engine xs|node] [--verbose]
  --kind script: a Unix-like device that installs through scripts/update (Ioto's way) instead of
  A/B slots. --trust: a release-signing public key (from updraft keys create); with one or more,
  the device takes signed releases only.
  run --once: one full cycle (check in, download, verify, switch, restart) and one JSON line
  {id, before, after, update, outcome, reason}. Exit code 0 unless the cycle failed.
  Without --once the device keeps running on its own timetable (update.period, schedule, jitter,
  apply) until --for (wall time, e.g. 30s) passes or SIGINT; --clock-scale runs device time N
  times faster. It prints one JSON line per outcome.
  --engine: xs (default) runs the agent on the XS engine, as on the device; node runs it in Node.`;

export async function deviceCommand(argv: string[]): Promise<number> {
	const [verb, ...rest] = argv;
	if (verb === 'init') {
		const values = parse(rest, {
			dir: { type: 'string' }, id: { type: 'string' }, product: { type: 'string' }, version: { type: 'string' },
			cloud: { type: 'string' }, ca: { type: 'string' }, token: { type: 'string' },
			prop: { type: 'string', multiple: true }, 'slot-size': { type: 'string' },
			kind: { type: 'string' }, trust: { type: 'string', multiple: true },
		});
		const kind = (values.kind ?? 'ota') as DeviceKind;
		if (kind !== 'ota' && kind !== 'script') throw new UsageError(`--kind must be ota or script: "${values.kind}"`);
		const trustedKeys = (values.trust ?? []).map((file) => fs.readFileSync(file, 'utf8').trim());
		required(values, 'dir', 'id', 'product', 'version', 'cloud', 'ca', 'token');
		initDevice({
			dir: values.dir!, id: values.id!, product: values.product!, version: values.version!,
			cloud: values.cloud!, caPem: fs.readFileSync(values.ca!, 'utf8'), token: values.token!,
			props: props(values.prop), slotSize: integer(values['slot-size'], 'slot-size', 1024), kind, trustedKeys,
		});
		process.stdout.write(`${JSON.stringify({ dir: values.dir, id: values.id, version: values.version })}\n`);
		return 0;
	}
	if (verb === 'run') {
		const values = parse(rest, {
			dir: { type: 'string' }, once: { type: 'boolean' }, verbose: { type: 'boolean' }, engine: { type: 'string' },
			for: { type: 'string' }, 'clock-scale': { type: 'string' },
		});
		required(values, 'dir');
		const engine = (values.engine ?? 'xs') as Engine;
		if (!ENGINES.includes(engine)) throw new UsageError(`--engine must be ${ENGINES.join(' or ')}: "${values.engine}"`);
		const log = values.verbose ? (level: string, message: string) => process.stderr.write(`[${level}] ${message}\n`) : undefined;
		if (!values.once) {
			const scale = values['clock-scale'] === undefined ? 1 : Number(values['clock-scale']);
			if (!(scale > 0)) throw new UsageError(`--clock-scale must be a positive number: "${values['clock-scale']}"`);
			let wall: number | undefined;
			if (values.for !== undefined) {
				try {
					wall = durationMs(values.for, '--for');
				} catch (error) {
					throw new UsageError((error as Error).message);
				}
			}
			const until = new Promise<void>((resolve) => {
				if (wall !== undefined && wall !== Infinity) setTimeout(resolve, wall).unref();
				process.once('SIGINT', () => resolve());
				process.once('SIGTERM', () => resolve());
			});
			const summary = await runDeviceForever(values.dir!, {
				engine, clockScale: scale, until, log,
				onOutcome: (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
			});
			process.stdout.write(`${JSON.stringify({ boots: summary.boots, version: summary.version, outcomes: summary.outcomes.length })}\n`);
			return 0;
		}
		const result = await runDeviceOnce(values.dir!, {
			engine,
			log,
		});
		process.stdout.write(`${JSON.stringify(result)}\n`);
		return result.outcome === 'failed' || result.outcome === 'rejected' ? 1 : 0;
	}
	throw new UsageError(verb ? `unknown device command "${verb}"` : 'device needs a command');
}
