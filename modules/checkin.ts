/*
 * The Ioto check-in: what the device sends to POST {provision.api}/tok/provision/update and how
 * it reads the answer. Pure functions, so the codec is tested on its own and inside XS.
 *
 * Request body: every property of device.json5, then `version` (the running firmware, from
 * ioto.json5) and `iotoVersion` (this agent's version) — the last two always win, as in Ioto,
 * where the device collection is copied first and the versions set on top.
 * Answer: `{url, checksum, version, update, size?, downgrade?}` when a release is offered,
 * otherwise an object without `url` that may carry a `message`. `downgrade: true` is Updraft's
 * mark for an older release the operator publishes on purpose (Ioto's cloud-side rollback).
 */
import { parseSemver } from './semver';
import { parseHttpsUrl } from './http/url';

/** A release the cloud offered this device. */
export interface ReleaseOffer {
	/** https URL of the image. */
	url: string;
	/** SHA-256 of the image, lowercase hex. */
	checksum: string;
	/** SemVer of the release. */
	version: string;
	/** The cloud's id for this update, echoed in reports. */
	update: string;
	/** Image size in bytes when the cloud says it. */
	size?: number;
	/** The cloud marks an older release as a permitted downgrade (a fleet-wide rollback). */
	downgrade?: boolean;
	/** The release manifest as signed at publication, and its signatures (release-manifest.ts). */
	signed?: { manifest: string; signatures: { keyid: string; sig: string }[] };
}

export type CheckinAnswer = { kind: 'none'; message?: string } | { kind: 'offer'; offer: ReleaseOffer };

export class CheckinError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'CheckinError';
	}
}

const CHECKSUM = /^[0-9a-fA-F]{64}$/;

/** The JSON text of the check-in body. */
export function checkinBody(device: Record<string, unknown>, version: string, agentVersion: string): string {
	if (device === null || typeof device !== 'object' || Array.isArray(device)) {
		throw new CheckinError('device properties must be an object');
	}
	if (!parseSemver(version)) throw new CheckinError(`running version is not SemVer 2.0: "${version}"`);
	return JSON.stringify({ ...device, version, iotoVersion: agentVersion });
}

/** Validate the cloud's answer. Throws CheckinError naming the field that is wrong. */
export function parseCheckinAnswer(answer: unknown): CheckinAnswer {
	if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
		throw new CheckinError('check-in answer is not a JSON object');
	}
	const a = answer as Record<string, unknown>;
	if (a.url === undefined || a.url === null || a.url === '') {
		return typeof a.message === 'string' ? { kind: 'none', message: a.message } : { kind: 'none' };
	}
	if (typeof a.url !== 'string') throw new CheckinError('check-in answer: url must be a string');
	try {
		parseHttpsUrl(a.url);
	} catch (error) {
		throw new CheckinError(`check-in answer: ${(error as Error).message}`);
	}
	if (typeof a.checksum !== 'string' || !CHECKSUM.test(a.checksum)) {
		throw new CheckinError('check-in answer: checksum must be 64 hex digits (SHA-256)');
	}
	if (typeof a.version !== 'string' || !parseSemver(a.version)) {
		throw new CheckinError(`check-in answer: version is not SemVer 2.0: ${JSON.stringify(a.version)}`);
	}
	let update: string;
	if (typeof a.update === 'string' && a.update !== '') update = a.update;
	else if (typeof a.update === 'number' && Number.isFinite(a.update)) update = String(a.update);
	else throw new CheckinError('check-in answer: update (the release id) is missing');
	const offer: ReleaseOffer = { url: a.url, checksum: a.checksum.toLowerCase(), version: a.version, update };
	if (a.size !== undefined && a.size !== null) {
		if (typeof a.size !== 'number' || !Number.isSafeInteger(a.size) || a.size < 0) {
			throw new CheckinError('check-in answer: size must be a non-negative integer');
		}
		offer.size = a.size;
	}
	if (a.downgrade === true) offer.downgrade = true;
	if (a.manifest !== undefined || a.signatures !== undefined) {
		if (typeof a.manifest !== 'string' || !Array.isArray(a.signatures)
			|| !a.signatures.every((s) => s && typeof s === 'object' && typeof (s as { keyid?: unknown }).keyid === 'string' && typeof (s as { sig?: unknown }).sig === 'string')) {
			throw new CheckinError('check-in answer: manifest must be a string and signatures a list of {keyid, sig}');
		}
		offer.signed = { manifest: a.manifest, signatures: (a.signatures as { keyid: string; sig: string }[]).map(({ keyid, sig }) => ({ keyid, sig })) };
	}
	return { kind: 'offer', offer };
}
