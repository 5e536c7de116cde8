/*
 * The world scenarios run in: a device cloud behind the fault proxy, sharing one CA.
 *
 * The CA is made once; the proxy gets a certificate from it and the cloud is started with the
 * proxy as its publicUrl, so image URLs lead through the proxy too. The cloud keeps its
 * releases and devices in JSON files rewritten on every change, which grow with every scenario,
 * so a long campaign renews the cloud now and then: a fresh data folder with the same CA, behind
 * the same proxy (the old one's data is removed).
 */
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startCloud, type Cloud } from '../cloud/server';
import { ensureCloudTls } from '../tls/certificates';
import { startFaultProxy, type FaultProxy } from './fault-proxy';

export interface FaultWorldOptions {
	/** A folder the world owns (clouds' data); it must exist and may be removed afterwards. */
	root: string;
	log?: (line: string) => void;
}

export interface FaultWorld {
	root: string;
	proxy: FaultProxy;
	/** The cloud in use now. */
	readonly cloud: Cloud;
	/** Replace the cloud by a fresh one (same CA, empty data). No scenario may be running. */
	renewCloud(): Promise<void>;
	close(): Promise<void>;
}

export async function startFaultWorld(options: FaultWorldOptions): Promise<FaultWorld> {
	const { root } = options;
	const seed = join(root, 'tls-seed');
	const tls = await ensureCloudTls(seed);
	const ca = { certPem: tls.caPem, keyPem: readFileSync(join(seed, 'tls', 'ca-key.pem'), 'utf8') };
	const proxy = await startFaultProxy({ ca, log: options.log });
	let generation = 0;
	const newCloud = async (): Promise<Cloud> => {
		const dataDir = join(root, `cloud-${++generation}`);
		mkdirSync(dataDir, { recursive: true });
		// Same CA and server certificate: key generation is the slow part of starting a cloud.
		cpSync(join(seed, 'tls'), join(dataDir, 'tls'), { recursive: true });
		const started = await startCloud({ dataDir, port: 0, host: '127.0.0.1', publicUrl: proxy.url, log: options.log });
		proxy.setUpstream({ url: started.url, caPem: started.caPem });
		return started;
	};
	let cloud: Cloud;
	try {
		cloud = await newCloud();
	} catch (error) {
		await proxy.close();
		throw error;
	}
	return {
		root,
		proxy,
		get cloud() {
			return cloud;
		},
		async renewCloud() {
			const next = await newCloud();
			const previous = cloud;
			cloud = next;
			await previous.close();
			rmSync(join(root, `cloud-${generation - 1}`), { recursive: true, force: true });
		},
		async close() {
			await Promise.all([cloud.close(), proxy.close()]);
		},
	};
}
