/* `updraft cloud`: run the device cloud until SIGINT or SIGTERM. */
import { startCloud } from '../cloud/server';
import { parse, required, integer } from './args';

export const cloudUsage = `updraft cloud --data DIR [--port N] [--host ADDR] [--public-url URL]
  Runs the device cloud over HTTPS. --port 0 picks a free port. The CA devices must trust is
  DIR/tls/ca.pem; the fleet token devices use and the admin token are printed at start.`;

export async function cloudCommand(argv: string[]): Promise<number> {
	const values = parse(argv, {
		data: { type: 'string' },
		port: { type: 'string' },
		host: { type: 'string' },
		'public-url': { type: 'string' },
	});
	required(values, 'data');
	const cloud = await startCloud({
		dataDir: values.data!,
		port: integer(values.port, 'port') ?? 8443,
		host: values.host,
		publicUrl: values['public-url'],
		log: (line) => process.stderr.write(`${line}\n`),
	});
	process.stdout.write(`${JSON.stringify({ url: cloud.url, fleetToken: cloud.fleetToken, adminToken: cloud.adminToken, ca: cloud.caPath })}\n`);
	process.stderr.write(`updraft cloud listening on ${cloud.url}\n  fleet token: ${cloud.fleetToken}\n  admin token: ${cloud.adminToken}\n  CA: ${cloud.caPath}\n`);
	await new Promise<void>((resolve) => {
		const stop = () => resolve();
		process.once('SIGINT', stop);
		process.once('SIGTERM', stop);
	});
	await cloud.close();
	process.stderr.write('updraft cloud stopped\n');
	return 0;
}
