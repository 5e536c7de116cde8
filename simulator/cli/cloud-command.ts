/* `updraft cloud`: run the device cloud until SIGINT or SIGTERM. */
import { startCloud } from '../cloud/server';
import { DEFAULT_AUTO_HALT } from '../cloud/rollout/auto-halt';
import { parse, required, integer, UsageError } from './args';

export const cloudUsage = `updraft cloud --data DIR [--port N] [--host ADDR] [--public-url URL]
             [--halt-failures N|off] [--halt-percentage P|off] [--halt-min-devices N]
  Runs the device cloud over HTTPS. --port 0 picks a free port. The CA devices must trust is
  DIR/tls/ca.pem; the fleet token devices use and the admin token are printed at start.
  --public-url is the https base of the image URLs given to devices (behind a proxy, or on 443).
  Auto-halt disables a release once N devices failed (default ${DEFAULT_AUTO_HALT.failures}) or P% of the devices that
  reported failed (default ${DEFAULT_AUTO_HALT.percentage}%, once ${DEFAULT_AUTO_HALT.minDevices} reported); "off" turns a rule off.`;

function threshold(value: string | undefined, fallback: number | null, parseValue: (text: string) => number): number | null {
	if (value === undefined) return fallback;
	if (value === 'off') return null;
	return parseValue(value);
}

export async function cloudCommand(argv: string[]): Promise<number> {
	const values = parse(argv, {
		data: { type: 'string' },
		port: { type: 'string' },
		host: { type: 'string' },
		'public-url': { type: 'string' },
		'halt-failures': { type: 'string' },
		'halt-percentage': { type: 'string' },
		'halt-min-devices': { type: 'string' },
	});
	required(values, 'data');
	const autoHalt = {
		failures: threshold(values['halt-failures'], DEFAULT_AUTO_HALT.failures, (text) => integer(text, 'halt-failures', 1)!),
		percentage: threshold(values['halt-percentage'], DEFAULT_AUTO_HALT.percentage, (text) => {
			const n = Number(text);
			if (!(n > 0 && n <= 100)) throw new UsageError(`--halt-percentage must be above 0 and at most 100, or off: "${text}"`);
			return n;
		}),
		minDevices: integer(values['halt-min-devices'], 'halt-min-devices', 1) ?? DEFAULT_AUTO_HALT.minDevices,
	};
	const cloud = await startCloud({
		dataDir: values.data!,
		port: integer(values.port, 'port') ?? 8443,
		host: values.host,
		publicUrl: values['public-url'],
		autoHalt,
		log: (line) => process.stderr.write(`${line}\n`),
	});
	process.stdout.write(`${JSON.stringify({ url: cloud.url, publicUrl: cloud.publicUrl, dashboard: `${cloud.publicUrl}/dashboard`, fleetToken: cloud.fleetToken, adminToken: cloud.adminToken, ca: cloud.caPath })}\n`);
	process.stderr.write(`updraft cloud listening on ${cloud.url}\n  fleet token: ${cloud.fleetToken}\n  admin token: ${cloud.adminToken}\n  CA: ${cloud.caPath}\n  dashboard: ${cloud.publicUrl}/dashboard (sign in with the admin token)\n`);
	await new Promise<void>((resolve) => {
		const stop = () => resolve();
		process.once('SIGINT', stop);
		process.once('SIGTERM', stop);
	});
	await cloud.close();
	process.stderr.write('updraft cloud stopped\n');
	return 0;
}
