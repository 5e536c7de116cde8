/*
 * port-check: exercises the host's ports on the real Moddable modules, without the agent, and
 * traces one line per check ("CHECK <name> ok" or "CHECK <name> FAIL: <why>") and a last line
 * "CHECKS DONE <failures> failed". Build it with the same config.updraft as the app (the README
 * says how); it reaches the cloud named there over TLS. The flash check writes the inactive slot,
 * so on a board it runs only with config.updraft.checkFlash set to true.
 */
import config from 'mc/config';
import type { Ports } from '../../../modules/ports';
import { createHost } from 'updraft/esp32/host';

type Check = [name: string, run: (ports: Ports) => void | string | Promise<void | string>];

const hex = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

// RFC 6979 A.2.5: P-256, SHA-256, message "sample".
const KEY = fromHex('0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299');
const SIGNATURE = fromHex('efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');

const checks: Check[] = [
	['digest', ({ digest }) => {
		const d = digest.create('SHA256');
		d.write(bytes('a'));
		d.write(bytes('bc').buffer);
		const got = hex(d.close());
		if (got !== 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad') return `SHA-256("abc") = ${got}`;
	}],
	['signature', ({ signature }) => {
		if (!signature) return 'no signature port';
		if (!signature.verify(KEY, bytes('sample'), SIGNATURE)) return 'the RFC 6979 signature of "sample" did not verify';
		if (signature.verify(KEY, bytes('samplf'), SIGNATURE)) return 'a signature verified for the wrong message';
		const bent = KEY.slice();
		bent[64] ^= 1;
		if (signature.verify(bent, bytes('sample'), SIGNATURE)) return 'a key off the curve was accepted';
	}],
	['store', ({ store }) => {
		const long = 'é'.repeat(1500) + 'x'.repeat(1000);
		const pairs: [string, string][] = [['check.short', 'one'], ['check.fifteen15', long], ['check.empty', '']];
		for (const [key, value] of pairs) store.set(key, value);
		for (const [key, value] of pairs) if (store.get(key) !== value) return `"${key}" read back wrong`;
		store.set('check.short', 'two');
		if (store.get('check.short') !== 'two') return 'an overwrite did not read back';
		for (const [key] of pairs) store.delete(key);
		for (const [key] of pairs) if (store.get(key) !== undefined) return `"${key}" survived delete`;
	}],
	['clock', ({ clock }) => new Promise((resolve) => {
		const start = clock.now();
		const cancelled = clock.setTimer(() => resolve('a cleared timer fired'), 20);
		clock.clearTimer(cancelled);
		clock.setTimer(() => resolve(clock.now() - start >= 40 ? undefined : `fired after ${clock.now() - start} ms`), 50);
	})],
	['flash', ({ flash }) => {
		if (!(config.updraft?.checkFlash === true)) return;
		const size = 10_000;
		const writer = flash.openInactive(size);
		try {
			const image = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
			for (let at = 0; at < size; at += 999) writer.write(image.subarray(at, Math.min(size, at + 999)), at);
			const back = new Uint8Array(writer.read(0, size));
			for (let i = 0; i < size; i++) if (back[i] !== image[i]) return `byte ${i} reads ${back[i]}, wrote ${image[i]}`;
		} finally {
			writer.close();
		}
	}],
	['tls', ({ network }) => new Promise((resolve) => {
		const target = /^https:\/\/([^/:]+)(?::(\d+))?/.exec(String(config.updraft?.provision?.api));
		if (!target) return resolve('config.updraft.provision.api is not an https URL');
		const host = target[1];
		const port = Number(target[2] ?? 443);
		let text = '';
		const socket = network.connect({
			host, port,
			onConnect() {
				socket.write(bytes(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
			},
			onReadable() {
				for (let chunk = socket.read(); chunk; chunk = socket.read()) {
					for (const b of new Uint8Array(chunk)) if (text.length < 64) text += String.fromCharCode(b);
				}
			},
			onEnd() {
				socket.close();
				resolve(/^HTTP\/1\.1 \d{3} /.test(text) ? undefined : `unexpected answer ${JSON.stringify(text.slice(0, 40))}`);
			},
			onError: (message) => resolve(message),
		});
	})],
];

async function run(): Promise<void> {
	const { ports } = createHost();
	let failed = 0;
	for (const [name, check] of checks) {
		let problem: void | string;
		try {
			problem = await check(ports);
		} catch (error) {
			problem = `threw ${error instanceof Error ? error.message : String(error)}`;
		}
		if (problem) failed++;
		trace(`CHECK ${name} ${problem ? `FAIL: ${problem}` : 'ok'}\n`);
	}
	trace(`CHECKS DONE ${failed} failed\n`);
}

run().catch((error: unknown) => trace(`CHECKS DONE 1 failed: ${error instanceof Error ? error.message : String(error)}\n`));
