/*
 * The simulator's certificate authority: a self-signed CA and server certificates it signs, built
 * with node:crypto and the DER encoder beside this file (no openssl CLI, no npm packages).
 *
 * Keys are RSA 2048 on purpose: Moddable's TLS stack on devices is built around RSA certificates,
 * and the simulated device should trust exactly what a real one would.
 */
import {
	createHash,
	createPrivateKey,
	generateKeyPair,
	randomBytes,
	sign,
	X509Certificate,
	type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../hosts/sim/atomic-file';
import {
	bitString,
	boolean,
	explicit,
	ia5String,
	implicit,
	integer,
	namedBits,
	nullValue,
	octetString,
	oid,
	readChildren,
	readElement,
	readTime,
	sequence,
	set,
	TAG,
	time,
	utf8String,
	type DerElement,
} from './der';

export interface CertificateAndKey {
	/** The certificate, PEM. */
	certPem: string;
	/** Its private key, PKCS#8 PEM. */
	keyPem: string;
}

export interface CreateCaOptions {
	commonName: string;
	/** Days of validity; default 3650. */
	days?: number;
}

export interface CreateServerCertificateOptions {
	ca: CertificateAndKey;
	/** DNS names and IPv4/IPv6 literals the server answers to; the first is also the CN. */
	hosts: string[];
	/** Days of validity; default 825 (the longest browsers accept), never past the CA's end. */
	days?: number;
}

export interface CloudTls {
	caPem: string;
	/** The server's own certificate. */
	certPem: string;
	/** The server's private key. */
	keyPem: string;
	/** Leaf then CA: what the server must send, since Moddable's TLS rejects a leaf alone. */
	chainPem: string;
	/** Path of the CA certificate devices are given to trust. */
	caPath: string;
}

const OID = {
	sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
	commonName: '2.5.4.3',
	subjectKeyIdentifier: '2.5.29.14',
	keyUsage: '2.5.29.15',
	subjectAltName: '2.5.29.17',
	basicConstraints: '2.5.29.19',
	authorityKeyIdentifier: '2.5.29.35',
	extKeyUsage: '2.5.29.37',
	serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** keyUsage bit positions (RFC 5280 4.2.1.3). */
const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start this far in the past so a peer whose clock runs a little behind accepts them. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
/** ensureCloudTls re-issues a leaf that expires sooner than this. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
const CA_COMMON_NAME = 'Updraft Simulator CA';

// ---- PEM ----

/** The DER bytes of the first PEM block in `pem`; with `label`, that block must carry it. */
export function pemToDer(pem: string, label?: string): Buffer {
	if (typeof pem !== 'string') throw new Error(`PEM must be a string, got ${typeof pem}`);
	const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem);
	if (!match) throw new Error('no PEM block (-----BEGIN ...----- / -----END ...-----) found');
	const [, found, body] = match as unknown as [string, string, string];
	if (label !== undefined && found !== label) throw new Error(`expected a PEM ${label}, found a PEM ${found}`);
	const base64 = body.replace(/\s+/g, '');
	if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
		throw new Error(`the PEM ${found} block does not hold valid base64`);
	}
	return Buffer.from(base64, 'base64');
}

/** A PEM block with base64 lines of 64 characters, as RFC 7468 writes them. */
export function derToPem(der: Uint8Array, label: string): string {
	if (!(der instanceof Uint8Array) || der.length === 0) throw new Error('derToPem needs non-empty DER bytes');
	if (typeof label !== 'string' || !/^[A-Z0-9]+( [A-Z0-9]+)*$/.test(label)) {
		throw new Error(`PEM label must be upper-case words such as CERTIFICATE, got ${JSON.stringify(label)}`);
	}
	const base64 = Buffer.from(der).toString('base64');
	const lines = base64.match(/.{1,64}/g) ?? [];
	return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// ---- Issuing ----

export async function createCa(options: CreateCaOptions): Promise<CertificateAndKey> {
	if (options === null || typeof options !== 'object') throw new Error('createCa needs an options object');
	const commonName = checkCommonName(options.commonName);
	const days = checkDays(options.days ?? 3650);
	const { publicKey, privateKey } = await generateRsaKey();
	const spki = publicKey.export({ type: 'spki', format: 'der' });
	const name = distinguishedName(commonName);
	const { notBefore, notAfter } = validity(days);
	const certificate = signCertificate({
		issuer: name,
		subject: name,
		notBefore,
		notAfter,
		spki,
		extensions: [
			extension(OID.basicConstraints, true, sequence(boolean(true))),
			extension(OID.keyUsage, true, namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
			extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
			// Self-signed, so the authority is itself. Moddable's TLS reads this extension of every
			// certificate in the chain and fails the handshake without it.
			extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, octetString(keyIdentifier(spki))))),
		],
	}, privateKey);
	return { certPem: derToPem(certificate, 'CERTIFICATE'), keyPem: exportKey(privateKey) };
}

export async function createServerCertificate(options: CreateServerCertificateOptions): Promise<CertificateAndKey> {
	if (options === null || typeof options !== 'object') throw new Error('createServerCertificate needs an options object');
	const names = parseHosts(options.hosts);
	const days = checkDays(options.days ?? 825);
	const ca = loadCa(options.ca);
	const commonName = checkCommonName(names[0]!.text, 'the first host (used as the common name)');
	const { publicKey, privateKey } = await generateRsaKey();
	const spki = publicKey.export({ type: 'spki', format: 'der' });
	const dates = validity(days);
	// A leaf outliving its CA would fail chain validation at the end anyway; stop where the CA stops.
	const notAfter = dates.notAfter > ca.notAfter ? ca.notAfter : dates.notAfter;
	if (notAfter.getTime() <= Date.now()) throw new Error(`the CA expired on ${ca.notAfter.toISOString()}; create a new CA`);
	const certificate = signCertificate({
		issuer: ca.subject,
		subject: distinguishedName(commonName),
		notBefore: dates.notBefore,
		notAfter,
		spki,
		extensions: [
			extension(OID.basicConstraints, true, sequence()),
			extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment])),
			extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))),
			extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(spki))),
			extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, octetString(ca.keyIdentifier)))),
			extension(OID.subjectAltName, false, sequence(...names.map((name) => name.generalName))),
		],
	}, ca.privateKey);
	return { certPem: derToPem(certificate, 'CERTIFICATE'), keyPem: exportKey(privateKey) };
}

function generateRsaKey(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
	return new Promise((resolvePair, reject) => {
		generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 }, (error, publicKey, privateKey) => {
			if (error) reject(error);
			else resolvePair({ publicKey, privateKey });
		});
	});
}

function exportKey(privateKey: KeyObject): string {
	return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

interface CertificateFields {
	issuer: Buffer;
	subject: Buffer;
	notBefore: Date;
	notAfter: Date;
	spki: Buffer;
	extensions: Buffer[];
}

function signCertificate(fields: CertificateFields, signingKey: KeyObject): Buffer {
	const algorithm = sequence(oid(OID.sha256WithRSAEncryption), nullValue());
	const tbs = sequence(
		explicit(0, integer(2)), // v3, needed for extensions
		integer(serialNumber()),
		algorithm,
		fields.issuer,
		sequence(time(fields.notBefore), time(fields.notAfter)),
		fields.subject,
		fields.spki,
		explicit(3, sequence(...fields.extensions)),
	);
	const signature = sign('sha256', tbs, signingKey);
	return sequence(tbs, algorithm, bitString(signature));
}

/** 16 random bytes, top bit clear so the INTEGER is positive, next bit set so it is never short or zero. */
function serialNumber(): Buffer {
	const serial = randomBytes(16);
	serial[0] = (serial[0]! & 0x7f) | 0x40;
	return serial;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
	// DER leaves out a BOOLEAN equal to its DEFAULT (critical FALSE).
	return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

function distinguishedName(commonName: string): Buffer {
	return sequence(set(sequence(oid(OID.commonName), utf8String(commonName))));
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(spki: Buffer): Buffer {
	const [, publicKeyBits] = readChildren(readElement(spki).contents);
	if (!publicKeyBits || publicKeyBits.tag !== TAG.BIT_STRING) throw new Error('SubjectPublicKeyInfo without a public key BIT STRING');
	return createHash('sha1').update(publicKeyBits.contents.subarray(1)).digest();
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
	// Whole seconds: the DER times hold no fractions.
	const now = Math.floor(Date.now() / 1000) * 1000;
	return { notBefore: new Date(now - CLOCK_SKEW_MS), notAfter: new Date(now + days * DAY_MS) };
}

function checkDays(days: unknown): number {
	if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 100 * 365) {
		throw new Error(`days must be a whole number from 1 to 36500, got ${String(days)}`);
	}
	return days;
}

function checkCommonName(commonName: unknown, what = 'commonName'): string {
	if (typeof commonName !== 'string' || commonName.trim() === '') throw new Error(`${what} must be a non-empty string`);
	// ub-common-name in RFC 5280.
	if ([...commonName].length > 64) throw new Error(`${what} ${JSON.stringify(commonName)} is longer than 64 characters`);
	return commonName;
}

// ---- Host names ----

interface HostName {
	/** The host as it goes into the CN: DNS names lower-cased, IP literals as given. */
	text: string;
	/** Its subjectAltName GeneralName: dNSName [2] or iPAddress [7]. */
	generalName: Buffer;
}

const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const DNS_NAME = new RegExp(`^(?:\\*\\.)?${DNS_LABEL}(?:\\.${DNS_LABEL})*$`);

/** Checks and encodes the hosts, dropping repeats; the order (and so the CN) is kept. */
function parseHosts(hosts: unknown): HostName[] {
	if (!Array.isArray(hosts) || hosts.length === 0) throw new Error('hosts must be a non-empty array of DNS names or IP addresses');
	const names: HostName[] = [];
	const seen = new Set<string>();
	for (const host of hosts) {
		const name = parseHost(host);
		const key = name.generalName.toString('hex');
		if (!seen.has(key)) {
			seen.add(key);
			names.push(name);
		}
	}
	return names;
}

function parseHost(host: unknown): HostName {
	if (typeof host !== 'string' || host === '') throw new Error(`each host must be a non-empty string, got ${JSON.stringify(host)}`);
	const family = isIP(host);
	if (family !== 0 && host.includes('%')) throw new Error(`host ${JSON.stringify(host)}: IPv6 zone ids cannot go in a certificate`);
	if (family === 4) return { text: host, generalName: implicit(7, octetString(ipv4Bytes(host))) };
	if (family === 6) return { text: host, generalName: implicit(7, octetString(ipv6Bytes(host))) };
	const dnsName = host.toLowerCase();
	if (dnsName.length > 253 || !DNS_NAME.test(dnsName)) {
		throw new Error(`host ${JSON.stringify(host)} is neither an IP address nor a DNS name (letters, digits, hyphens, dots)`);
	}
	return { text: dnsName, generalName: implicit(2, ia5String(dnsName)) };
}

function ipv4Bytes(address: string): Buffer {
	return Buffer.from(address.split('.').map(Number));
}

/** The 16 bytes of an IPv6 literal already checked by isIP, including '::' and a dotted IPv4 tail. */
function ipv6Bytes(address: string): Buffer {
	let text = address;
	if (text.includes('.')) {
		const tailStart = text.lastIndexOf(':') + 1;
		const v4 = ipv4Bytes(text.slice(tailStart));
		text = `${text.slice(0, tailStart)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
	}
	const words = (part: string) => (part === '' ? [] : part.split(':').map((word) => parseInt(word, 16)));
	const [left, right] = text.split('::') as [string, string | undefined];
	const head = words(left);
	const tail = right === undefined ? [] : words(right);
	const all = right === undefined ? head : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
	if (all.length !== 8 || all.some((word) => !(word >= 0 && word <= 0xffff))) throw new Error(`cannot read the IPv6 address ${JSON.stringify(address)}`);
	const bytes = Buffer.alloc(16);
	all.forEach((word, index) => bytes.writeUInt16BE(word, index * 2));
	return bytes;
}

// ---- Reading certificates back ----

interface LoadedCa {
	certificate: X509Certificate;
	privateKey: KeyObject;
	/** The CA's subject Name, byte for byte: a leaf's issuer must equal it exactly. */
	subject: Buffer;
	keyIdentifier: Buffer;
	notAfter: Date;
}

/** The parts of a certificate's tbsCertificate this module needs. */
interface TbsParts {
	subject: DerElement;
	spki: DerElement;
	notAfter: Date;
	extensions: Map<string, DerElement>;
}

function readTbs(certificateDer: Buffer): TbsParts {
	const [tbs] = readChildren(readElement(certificateDer).contents);
	if (!tbs || tbs.tag !== TAG.SEQUENCE) throw new Error('certificate without a tbsCertificate');
	const fields = readChildren(tbs.contents);
	// The version is an optional [0]; everything after it is positional.
	const first = fields[0]?.tag === 0xa0 ? 1 : 0;
	const validityElement = fields[first + 3];
	const subject = fields[first + 4];
	const spki = fields[first + 5];
	if (!validityElement || !subject || !spki) throw new Error('certificate with a truncated tbsCertificate');
	const [, notAfterElement] = readChildren(validityElement.contents);
	if (!notAfterElement) throw new Error('certificate validity without an end');
	const extensions = new Map<string, DerElement>();
	const extensionsElement = fields.slice(first + 6).find((field) => field.tag === 0xa3);
	if (extensionsElement) {
		const [list] = readChildren(extensionsElement.contents);
		for (const entry of readChildren(list?.contents ?? Buffer.alloc(0))) {
			const parts = readChildren(entry.contents);
			const id = parts[0];
			const value = parts[parts.length - 1];
			if (id && value && value.tag === TAG.OCTET_STRING) extensions.set(id.bytes.toString('hex'), value);
		}
	}
	return { subject, spki, notAfter: readTime(notAfterElement), extensions };
}

/** The extension's value (the contents of its OCTET STRING), parsed as one element. */
function extensionValue(parts: TbsParts, id: string): DerElement | undefined {
	const value = parts.extensions.get(oid(id).toString('hex'));
	return value ? readElement(value.contents) : undefined;
}

function loadCa(ca: CertificateAndKey): LoadedCa {
	if (ca === null || typeof ca !== 'object' || typeof ca.certPem !== 'string' || typeof ca.keyPem !== 'string') {
		throw new Error('ca must be { certPem, keyPem } strings');
	}
	let certificate: X509Certificate;
	let privateKey: KeyObject;
	try {
		certificate = new X509Certificate(ca.certPem);
	} catch (error) {
		throw new Error(`the CA certificate cannot be read: ${(error as Error).message}`);
	}
	try {
		privateKey = createPrivateKey(ca.keyPem);
	} catch (error) {
		throw new Error(`the CA private key cannot be read: ${(error as Error).message}`);
	}
	if (!certificate.ca) throw new Error(`the certificate for ${certificate.subject} is not a CA (basicConstraints CA:false or missing)`);
	if (!certificate.checkPrivateKey(privateKey)) throw new Error('the CA private key does not belong to the CA certificate');
	const parts = readTbs(certificate.raw);
	const ski = extensionValue(parts, OID.subjectKeyIdentifier);
	return {
		certificate,
		privateKey,
		subject: Buffer.from(parts.subject.bytes),
		keyIdentifier: ski && ski.tag === TAG.OCTET_STRING ? Buffer.from(ski.contents) : keyIdentifier(Buffer.from(parts.spki.bytes)),
		notAfter: parts.notAfter,
	};
}

/** The hex of each GeneralName in a certificate's subjectAltName. */
function subjectAltNames(parts: TbsParts): Set<string> {
	const san = extensionValue(parts, OID.subjectAltName);
	return new Set(san ? readChildren(san.contents).map((name) => name.bytes.toString('hex')) : []);
}

// ---- The cloud's files ----

const pending = new Map<string, Promise<CloudTls>>();

/**
 * The cloud's CA and server certificate under `dir/tls`, created on first use and loaded after.
 * The leaf is re-issued by the same CA when it does not name every host, expires within 30 days,
 * or no longer matches its key or the CA. Calls for the same folder in one process take turns.
 */
export function ensureCloudTls(dir: string, hosts: string[] = ['localhost', '127.0.0.1']): Promise<CloudTls> {
	if (typeof dir !== 'string' || dir === '') return Promise.reject(new Error('ensureCloudTls needs a folder path'));
	const key = resolve(dir);
	const previous = pending.get(key) ?? Promise.resolve();
	const next = previous.catch(() => undefined).then(() => ensureCloudTlsNow(key, hosts));
	pending.set(key, next);
	void next.finally(() => {
		if (pending.get(key) === next) pending.delete(key);
	}).catch(() => undefined);
	return next;
}

async function ensureCloudTlsNow(dir: string, hosts: string[]): Promise<CloudTls> {
	const requested = parseHosts(hosts);
	const tlsDir = join(dir, 'tls');
	mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
	const paths = {
		ca: join(tlsDir, 'ca.pem'),
		caKey: join(tlsDir, 'ca-key.pem'),
		server: join(tlsDir, 'server.pem'),
		serverKey: join(tlsDir, 'server-key.pem'),
		chain: join(tlsDir, 'chain.pem'),
	};

	let ca: CertificateAndKey;
	if (existsSync(paths.ca)) {
		if (!existsSync(paths.caKey)) {
			throw new Error(`${paths.ca} exists but its key ${paths.caKey} is missing; remove ${paths.ca} to create a new CA (devices must then be given it again)`);
		}
		ca = { certPem: readFileSync(paths.ca, 'utf8'), keyPem: readPrivate(paths.caKey) };
	} else {
		ca = await createCa({ commonName: CA_COMMON_NAME });
		// Key first: a crash between the writes leaves a key without a certificate, which is replaced.
		writeFileAtomic(paths.caKey, ca.keyPem, 0o600);
		writeFileAtomic(paths.ca, ca.certPem);
	}
	let loaded: LoadedCa;
	try {
		loaded = loadCa(ca);
	} catch (error) {
		throw new Error(`${paths.ca}: ${(error as Error).message}`);
	}
	if (loaded.notAfter.getTime() <= Date.now()) {
		throw new Error(`the CA in ${paths.ca} expired on ${loaded.notAfter.toISOString()}; remove ${paths.ca} and ${paths.caKey} to create a new one`);
	}

	let leaf: CertificateAndKey | undefined;
	let keptNames: string[] = [];
	if (existsSync(paths.server) && existsSync(paths.serverKey)) {
		const current = { certPem: readFileSync(paths.server, 'utf8'), keyPem: readPrivate(paths.serverKey) };
		const verdict = judgeLeaf(current, loaded, requested);
		if (verdict.usable) leaf = current;
		keptNames = verdict.names;
	}
	if (!leaf) {
		// Keep the names the old leaf served so that widening the host list never drops one.
		const names = [...requested.map((name) => name.text), ...keptNames];
		leaf = await createServerCertificate({ ca, hosts: names });
		writeFileAtomic(paths.serverKey, leaf.keyPem, 0o600);
		writeFileAtomic(paths.server, leaf.certPem);
	}
	const chainPem = `${leaf.certPem.trimEnd()}\n${ca.certPem.trimEnd()}\n`;
	if (!existsSync(paths.chain) || readFileSync(paths.chain, 'utf8') !== chainPem) writeFileAtomic(paths.chain, chainPem);
	return { caPem: ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem, chainPem, caPath: paths.ca };
}

/** Reads a private key file, tightening its mode if others could read it. */
function readPrivate(path: string): string {
	if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
	return readFileSync(path, 'utf8');
}

/**
 * Whether an existing leaf can stay, and the host names it carries (to keep them on re-issue).
 * Any leaf that cannot even be read is simply replaced.
 */
function judgeLeaf(leaf: CertificateAndKey, ca: LoadedCa, requested: HostName[]): { usable: boolean; names: string[] } {
	try {
		const certificate = new X509Certificate(leaf.certPem);
		const parts = readTbs(certificate.raw);
		const present = subjectAltNames(parts);
		const names = [...present].flatMap((hex) => hostFromGeneralName(Buffer.from(hex, 'hex')))
			.filter((host) => {
				try {
					parseHost(host);
					return true;
				} catch {
					return false;
				}
			});
		const usable = certificate.checkIssued(ca.certificate) &&
			certificate.verify(ca.certificate.publicKey) &&
			certificate.checkPrivateKey(createPrivateKey(leaf.keyPem)) &&
			!expiresSoon(parts.notAfter, ca.notAfter) &&
			requested.every((name) => present.has(name.generalName.toString('hex')));
		return { usable, names };
	} catch {
		return { usable: false, names: [] };
	}
}

/**
 * Whether a leaf is close enough to its end to replace. A leaf that ends with its CA stays: a new
 * one could last no longer.
 */
function expiresSoon(leafNotAfter: Date, caNotAfter: Date): boolean {
	const renewBy = Math.min(Date.now() + RENEW_BEFORE_MS, caNotAfter.getTime());
	return leafNotAfter.getTime() < renewBy;
}

/** The host text of a dNSName or iPAddress GeneralName; other kinds are not carried over. */
function hostFromGeneralName(bytes: Buffer): string[] {
	const element = readElement(bytes);
	if (element.tag === 0x82) return [element.contents.toString('latin1')];
	if (element.tag === 0x87 && element.contents.length === 4) return [[...element.contents].join('.')];
	if (element.tag === 0x87 && element.contents.length === 16) {
		const words: string[] = [];
		for (let offset = 0; offset < 16; offset += 2) words.push(element.contents.readUInt16BE(offset).toString(16));
		return [words.join(':')];
	}
	return [];
}
