/*
 * The ports that are the same on every Moddable platform: TLS (SecureSocket with the cloud's CA
 * as a resource), SHA-256 (crypt Digest), the store (preference), timers (Timer), signature checks
 * (ECDSA on secp256r1) and the log (trace). The flash and the system differ per platform and come
 * from host-esp32.ts or host-desktop.ts.
 */
import type { DigestPort, LogLevel, LogPort, NetworkPort, SignaturePort } from '../../modules/ports';
import { Socket } from 'socket';
import SecureSocket from 'securesocket';
import { Digest } from 'crypt';
import Preference from 'preference';
import Timer from 'timer';
import Resource from 'Resource';
import ECDSA from 'ecdsa';
import Curve from 'curve';
import ECPoint from 'ecp';
import { createTlsNetwork } from './tls-network';
import { createPreferenceStore } from './preference-store';
import { createTimerClock } from './timer-clock';
import { createSignaturePort } from './signature';
import type { HostConfig } from './host-config';

export const moddableDigest: DigestPort = {
	create(algorithm) {
		if (algorithm !== 'SHA256') throw new RangeError(`unsupported digest ${String(algorithm)}; the agent uses SHA256`);
		const digest = new Digest('SHA256');
		let closed = false;
		return {
			write(bytes) {
				if (closed) throw new Error('digest is closed');
				digest.write(bytes);
			},
			close() {
				if (closed) throw new Error('digest is closed');
				closed = true;
				return digest.close();
			},
		};
	},
};

export function moddableNetwork(config: HostConfig, pace: { highWater: number } | undefined): NetworkPort {
	if (!Resource.exists(config.ca)) {
		throw new Error(`the CA certificate resource "${config.ca}" is not in the app: list its DER file under "data" in the manifest (ioto-manifest does)`);
	}
	return createTlsNetwork({
		Socket,
		SecureSocket,
		certificate: new Resource(config.ca),
		defer: (callback) => Timer.set(callback),
		now: () => Date.now(),
		pace,
	});
}

export function moddableStore(config: HostConfig) {
	return createPreferenceStore(Preference, config.domain);
}

export function moddableClock() {
	return createTimerClock(Timer);
}

let p256: Curve | undefined;

export const moddableSignature: SignaturePort = createSignaturePort({
	sha256: (message) => new Digest('SHA256').process(message),
	verify(digest, publicKey, signature) {
		p256 ??= new Curve('secp256r1');
		return new ECDSA(ECPoint.fromOctetString(publicKey), p256, false).verify(digest, signature);
	},
});

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function traceLog(level: LogLevel): LogPort {
	return {
		log(at, message) {
			if (RANK[at] >= RANK[level]) trace(`updraft ${at}: ${message}\n`);
		},
	};
}
