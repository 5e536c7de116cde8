/*
 * A server under test for the cloud benchmark, run in its own process so that the load
 * generator does not share its CPU: `node --import tsx bench/cloud-target.ts cloud|bare DIR`.
 * It prints one JSON line ({port, caPem, ...}) when it listens and exits on SIGTERM.
 *
 * cloud: the device cloud on DIR. bare: a plain node:https server with the same certificate that
 * parses each JSON body and answers a JSON object of the size of a check-in offer, the floor any
 * JSON-over-HTTPS service pays.
 */
import { createServer } from 'node:https';
import { startCloud } from '../simulator/cloud/server';
import { ensureCloudTls } from '../simulator/tls/certificates';

const [kind, dataDir] = process.argv.slice(2);
if ((kind !== 'cloud' && kind !== 'bare') || !dataDir) {
	process.stderr.write('usage: cloud-target.ts cloud|bare DIR\n');
	process.exit(2);
}

const OFFER = {
	url: `https://localhost:8443/images/${'a'.repeat(32)}/${'b'.repeat(64)}.bin`,
	checksum: 'b'.repeat(64),
	version: '1.5.0',
	update: 'c'.repeat(16),
	size: 1024,
};

async function startBare(dir: string): Promise<{ port: number; caPem: string; close: () => Promise<void> }> {
	const tls = await ensureCloudTls(dir);
	const server = createServer({ cert: tls.chainPem, key: tls.keyPem }, (request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			let status = 200;
			let answer: unknown;
			try {
				const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown };
				answer = { ...OFFER, update: typeof body.id === 'string' ? body.id.slice(0, 16) : OFFER.update };
			} catch {
				status = 400;
				answer = { error: 'bad JSON' };
			}
			const bytes = Buffer.from(`${JSON.stringify(answer)}\n`);
			response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(bytes.length) });
			response.end(bytes);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const address = server.address();
	if (address === null || typeof address === 'string') throw new Error('no address');
	return {
		port: address.port,
		caPem: tls.caPem,
		close: () => new Promise((resolve) => {
			server.close(() => resolve());
			server.closeAllConnections();
		}),
	};
}

if (kind === 'bare') {
	const bare = await startBare(dataDir);
	process.stdout.write(`${JSON.stringify({ port: bare.port, caPem: bare.caPem })}\n`);
	process.once('SIGTERM', () => void bare.close().then(() => process.exit(0)));
} else {
	const cloud = await startCloud({ dataDir, port: 0 });
	process.stdout.write(`${JSON.stringify({ port: cloud.port, url: cloud.url, caPem: cloud.caPem, fleetToken: cloud.fleetToken, adminToken: cloud.adminToken })}\n`);
	process.once('SIGTERM', () => void cloud.close().then(() => process.exit(0)));
}
