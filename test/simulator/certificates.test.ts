import test from 'ava';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import {
	createCa,
	createServerCertificate,
	derToPem,
	ensureCloudTls,
	pemToDer,
	type CertificateAndKey,
} from '../../simulator/tls/certificates';
import {
	bitString,
	boolean,
	encodeLength,
	explicit,
	generalizedTime,
	ia5String,
	implicit,
	integer,
	namedBits,
	nullValue,
	octetString,
	oid,
	printableString,
	readChildren,
	readElement,
	readTime,
	sequence,
	set,
	time,
	utcTime,
	utf8String,
	type DerElement,
} from '../../simulator/tls/der';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// ---- DER encoder tables ----

// INTEGER: [value, full encoding in hex]. Bytes are an unsigned magnitude; bigints two's complement.
const INTEGERS: [bigint | number | Uint8Array, string][] = [
	[0n, '020100'],
	[127n, '02017f'],
	[128n, '02020080'],
	[255n, '020200ff'],
	[256n, '02020100'],
	[65535, '020300ffff'],
	[-1n, '0201ff'],
	[-128n, '020180'],
	[-129n, '0202ff7f'],
	[-256n, '0202ff00'],
	[2n ** 64n, '0209010000000000000000'],
	[2n ** 127n - 1n, '02107fffffffffffffffffffffffffffffff'],
	[new Uint8Array([]), '020100'],
	[new Uint8Array([0x7f]), '02017f'],
	[new Uint8Array([0x80]), '02020080'],
	[new Uint8Array([0x00, 0x00, 0x01]), '020101'],
	[new Uint8Array([0x00, 0x80]), '02020080'],
	[new Uint8Array([0xff, 0x01]), '020300ff01'],
];

for (const [value, expected] of INTEGERS) {
	test(`DER INTEGER ${value instanceof Uint8Array ? `bytes [${hex(value)}]` : String(value)}`, (t) => {
		t.is(hex(integer(value)), expected);
	});
}

// Length octets: [length, encoding in hex]; short form below 128, long form from 128 on.
const LENGTHS: [number, string][] = [
	[0, '00'],
	[1, '01'],
	[127, '7f'],
	[128, '8180'],
	[255, '81ff'],
	[256, '820100'],
	[65535, '82ffff'],
	[65536, '83010000'],
];

for (const [length, expected] of LENGTHS) {
	test(`DER length ${length}`, (t) => {
		t.is(hex(encodeLength(length)), expected);
		// A whole element of that length reads back with the same contents length.
		const element = octetString(Buffer.alloc(length, 0xab));
		t.is(hex(element.subarray(1, 1 + expected.length / 2)), expected);
		t.is(readElement(element).contents.length, length);
	});
}

// OBJECT IDENTIFIER: [dotted, full encoding in hex].
const OIDS: [string, string][] = [
	['1.2.840.113549.1.1.11', '06092a864886f70d01010b'], // sha256WithRSAEncryption
	['2.5.29.17', '0603551d11'], // subjectAltName
	['2.5.4.3', '0603550403'], // commonName
	['1.3.6.1.5.5.7.3.1', '06082b06010505070301'], // serverAuth
	['2.999.3', '0603883703'], // first two arcs above 127 together
	['0.0', '060100'],
];

for (const [dotted, expected] of OIDS) {
	test(`DER OID ${dotted}`, (t) => {
		t.is(hex(oid(dotted)), expected);
	});
}

// Times: [instant, tag in hex, text]. UTCTime through 2049, GeneralizedTime from 2050; fractions dropped.
const TIMES: [string, string, string][] = [
	['2026-01-02T03:04:05.678Z', '17', '260102030405Z'],
	['1950-01-01T00:00:00Z', '17', '500101000000Z'],
	['2049-12-31T23:59:59Z', '17', '491231235959Z'],
	['2050-01-01T00:00:00Z', '18', '20500101000000Z'],
	['1949-12-31T23:59:59Z', '18', '19491231235959Z'],
	['9999-12-31T23:59:59Z', '18', '99991231235959Z'],
];

for (const [instant, tag, text] of TIMES) {
	test(`DER time ${instant}`, (t) => {
		const encoded = time(new Date(instant));
		t.is(hex(encoded), `${tag}${hex(encodeLength(text.length))}${hex(Buffer.from(text))}`);
		t.is(readTime(readElement(encoded)).toISOString(), new Date(Math.floor(Date.parse(instant) / 1000) * 1000).toISOString());
	});
}

// Other element kinds: [what, encoding, expected hex].
const ELEMENTS: [string, () => Buffer, string][] = [
	['BOOLEAN true', () => boolean(true), '0101ff'],
	['BOOLEAN false', () => boolean(false), '010100'],
	['NULL', () => nullValue(), '0500'],
	['empty SEQUENCE', () => sequence(), '3000'],
	['SEQUENCE of two', () => sequence(boolean(true), nullValue()), '30050101ff0500'],
	['SET sorts its elements', () => set(integer(2), integer(1)), '3106020101020102'],
	['BIT STRING', () => bitString(Buffer.from([0xa0]), 5), '030205a0'],
	['keyCertSign + cRLSign', () => namedBits([5, 6]), '03020106'],
	['digitalSignature + keyEncipherment', () => namedBits([0, 2]), '030205a0'],
	['bit 8 needs a second byte', () => namedBits([8]), '0303070080'],
	['no named bits', () => namedBits([]), '030100'],
	['OCTET STRING', () => octetString(Buffer.from([1, 2])), '04020102'],
	['UTF8String', () => utf8String('é'), '0c02c3a9'],
	['PrintableString', () => printableString('Ab 1'), '130441622031'],
	['IA5String', () => ia5String('a.b'), '1603612e62'],
	['[0] EXPLICIT INTEGER 2', () => explicit(0, integer(2)), 'a003020102'],
	['[3] EXPLICIT SEQUENCE', () => explicit(3, sequence()), 'a3023000'],
	['[2] IMPLICIT IA5String (dNSName)', () => implicit(2, ia5String('a')), '820161'],
	['[7] IMPLICIT OCTET STRING (iPAddress)', () => implicit(7, octetString(Buffer.from([127, 0, 0, 1]))), '87047f000001'],
	['[0] IMPLICIT SEQUENCE stays constructed', () => implicit(0, sequence()), 'a000'],
	['GeneralizedTime before 2050', () => generalizedTime(new Date('2030-06-01T12:00:00Z')), '180f32303330303630313132303030305a'],
];

for (const [what, encode, expected] of ELEMENTS) {
	test(`DER ${what}`, (t) => {
		t.is(hex(encode()), expected);
	});
}

// Bad input to the encoder: [what, call, message pattern].
const DER_ERRORS: [string, () => unknown, RegExp][] = [
	['OID with one arc', () => oid('1'), /dotted decimal/],
	['OID with letters', () => oid('1.2.x'), /dotted decimal/],
	['OID first arc 3', () => oid('3.1'), /first arc/],
	['OID second arc 40 under 1', () => oid('1.40'), /second arc/],
	['unsafe number INTEGER', () => integer(2 ** 60), /safe integer/],
	['negative length', () => encodeLength(-1), /non-negative/],
	['PrintableString with @', () => printableString('a@b'), /PrintableString/],
	['IA5String with é', () => ia5String('é'), /IA5String/],
	['UTF8String with a lone surrogate', () => utf8String('\ud800'), /surrogate/],
	['UTCTime in 2050', () => utcTime(new Date('2050-01-01T00:00:00Z')), /1950\.\.2049/],
	['invalid Date', () => time(new Date('nope')), /valid Date/],
	['BIT STRING unused bits 8', () => bitString(Buffer.from([0]), 8), /0\.\.7/],
	['BIT STRING with set unused bits', () => bitString(Buffer.from([0x01]), 1), /zero/],
	['tag number 31', () => explicit(31, nullValue()), /0\.\.30/],
	['truncated element', () => readElement(Buffer.from([0x04, 0x05, 0x00])), /claims 5 bytes/],
	['indefinite length', () => readElement(Buffer.from([0x30, 0x80, 0x00, 0x00])), /indefinite/],
	['UTCTime with a bad month', () => readTime(readElement(Buffer.from('170d3236313330323033303430355a', 'hex'))), /not a valid date/],
];

for (const [what, call, message] of DER_ERRORS) {
	test(`DER rejects ${what}`, (t) => {
		t.throws(call, { message });
	});
}

test('DER reader walks nested elements', (t) => {
	const encoded = sequence(integer(5), sequence(oid('2.5.29.17')), octetString(Buffer.from('hi')));
	const children = readChildren(readElement(encoded).contents);
	t.deepEqual(children.map((child) => child.tag), [0x02, 0x30, 0x04]);
	t.is(hex(readChildren(children[1]!.contents)[0]!.bytes), '0603551d11');
	t.is(children[2]!.contents.toString(), 'hi');
});

// ---- PEM ----

test('PEM round trip wraps at 64 characters', (t) => {
	const der = Buffer.alloc(100, 7);
	const pem = derToPem(der, 'CERTIFICATE');
	const lines = pem.trimEnd().split('\n');
	t.is(lines[0], '-----BEGIN CERTIFICATE-----');
	t.is(lines.at(-1), '-----END CERTIFICATE-----');
	t.is(lines[1]!.length, 64);
	t.deepEqual(pemToDer(pem), der);
	t.deepEqual(pemToDer(pem.replace(/\n/g, '\r\n'), 'CERTIFICATE'), der);
});

// Bad PEM: [what, call, message pattern].
const PEM_ERRORS: [string, () => unknown, RegExp][] = [
	['no block', () => pemToDer('hello'), /no PEM block/],
	['wrong label', () => pemToDer(derToPem(Buffer.from([1]), 'PRIVATE KEY'), 'CERTIFICATE'), /expected a PEM CERTIFICATE, found a PEM PRIVATE KEY/],
	['bad base64', () => pemToDer('-----BEGIN X-----\n@@@@\n-----END X-----\n'), /valid base64/],
	['empty body', () => pemToDer('-----BEGIN X-----\n-----END X-----\n'), /valid base64/],
	['lower-case label', () => derToPem(Buffer.from([1]), 'cert'), /upper-case/],
	['empty DER', () => derToPem(Buffer.alloc(0), 'CERTIFICATE'), /non-empty/],
];

for (const [what, call, message] of PEM_ERRORS) {
	test(`PEM rejects ${what}`, (t) => {
		t.throws(call, { message });
	});
}

// ---- Certificates (keys generated once for the file) ----

interface Fixture {
	ca: CertificateAndKey;
	/** localhost, 127.0.0.1 and ::1, signed by `ca`. */
	leaf: CertificateAndKey;
	/** localhost and 127.0.0.1 for 10 days, signed by `ca`. */
	shortLeaf: CertificateAndKey;
	/** A CA that lasts 30 days, and a leaf it signed for IPv6 and mixed-case names. */
	otherCa: CertificateAndKey;
	otherLeaf: CertificateAndKey;
}

// RSA generation dominates this file's time, so the keys are made once, in parallel, and shared.
let fixture: Promise<Fixture> | undefined;
function getFixture(): Promise<Fixture> {
	fixture ??= (async () => {
		const [ca, otherCa] = await Promise.all([createCa({ commonName: 'Updraft Test CA' }), createCa({ commonName: 'Other CA', days: 30 })]);
		const [leaf, shortLeaf, otherLeaf] = await Promise.all([
			createServerCertificate({ ca, hosts: ['localhost', '127.0.0.1', '::1'] }),
			createServerCertificate({ ca, hosts: ['localhost', '127.0.0.1'], days: 10 }),
			createServerCertificate({ ca: otherCa, hosts: ['::ffff:10.0.0.1', '2001:db8::8:1', 'Example.COM'] }),
		]);
		return { ca, leaf, shortLeaf, otherCa, otherLeaf };
	})();
	return fixture;
}

/** The extensions of a certificate by dotted OID: whether critical, and the value's element. */
function extensionsOf(certificate: X509Certificate): Map<string, { critical: boolean; value: DerElement }> {
	const [tbs] = readChildren(readElement(certificate.raw).contents);
	const wrapper = readChildren(tbs!.contents).find((field) => field.tag === 0xa3)!;
	const result = new Map<string, { critical: boolean; value: DerElement }>();
	for (const entry of readChildren(readChildren(wrapper.contents)[0]!.contents)) {
		const parts = readChildren(entry.contents);
		const dotted = [...OID_NAMES].find(([, encoded]) => encoded === hex(parts[0]!.bytes))?.[0] ?? hex(parts[0]!.bytes);
		result.set(dotted, { critical: parts.length === 3 && parts[1]!.contents[0] === 0xff, value: readElement(parts.at(-1)!.contents) });
	}
	return result;
}

const OID_NAMES = new Map(['2.5.29.14', '2.5.29.15', '2.5.29.17', '2.5.29.19', '2.5.29.35', '2.5.29.37'].map((dotted) => [dotted, hex(oid(dotted))]));

/** tbsCertificate fields: serial, issuer and subject bytes, validity. */
function tbsOf(certificate: X509Certificate) {
	const [tbs, algorithm] = readChildren(readElement(certificate.raw).contents);
	const fields = readChildren(tbs!.contents);
	const [notBefore, notAfter] = readChildren(fields[4]!.contents).map(readTime);
	return { version: hex(fields[0]!.bytes), serial: fields[1]!.contents, signature: hex(fields[2]!.bytes), outerAlgorithm: hex(algorithm!.bytes), issuer: fields[3]!.bytes, subject: fields[5]!.bytes, notBefore: notBefore!, notAfter: notAfter! };
}

test('the CA and leaf parse, chain and carry the expected flags', async (t) => {
	const { ca, leaf } = await getFixture();
	const caCert = new X509Certificate(ca.certPem);
	const leafCert = new X509Certificate(leaf.certPem);
	t.true(caCert.verify(caCert.publicKey), 'the CA is self-signed');
	t.true(leafCert.verify(caCert.publicKey));
	t.true(leafCert.checkIssued(caCert));
	t.true(caCert.ca);
	t.false(leafCert.ca);
	t.is(caCert.publicKey.asymmetricKeyType, 'rsa');
	t.is(leafCert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
	t.is(caCert.subject, 'CN=Updraft Test CA');
	t.is(leafCert.subject, 'CN=localhost');
	const names = leafCert.subjectAltName?.split(', ') ?? [];
	t.true(names.includes('DNS:localhost'));
	t.true(names.includes('IP Address:127.0.0.1'));
	t.is(names.length, 3);
	t.is(leafCert.checkHost('localhost'), 'localhost');
	t.is(leafCert.checkIP('127.0.0.1'), '127.0.0.1');
	t.is(leafCert.checkIP('::1'), '::1');
	t.is(leafCert.checkHost('example.com'), undefined);
	t.is(leafCert.checkIP('127.0.0.2'), undefined);
	t.deepEqual(leafCert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
});

test('the certificates hold the extensions and fields a device checks', async (t) => {
	const { ca, leaf } = await getFixture();
	const caCert = new X509Certificate(ca.certPem);
	const leafCert = new X509Certificate(leaf.certPem);
	const caExtensions = extensionsOf(caCert);
	const leafExtensions = extensionsOf(leafCert);

	// basicConstraints, critical: CA:TRUE on the CA, an empty SEQUENCE (CA:FALSE) on the leaf.
	t.deepEqual(caExtensions.get('2.5.29.19')?.critical, true);
	t.is(hex(caExtensions.get('2.5.29.19')!.value.bytes), '30030101ff');
	t.is(hex(leafExtensions.get('2.5.29.19')!.value.bytes), '3000');
	// keyUsage, critical: keyCertSign+cRLSign on the CA, digitalSignature+keyEncipherment on the leaf.
	t.true(caExtensions.get('2.5.29.15')!.critical);
	t.is(hex(caExtensions.get('2.5.29.15')!.value.bytes), '03020106');
	t.true(leafExtensions.get('2.5.29.15')!.critical);
	t.is(hex(leafExtensions.get('2.5.29.15')!.value.bytes), '030205a0');
	// The leaf's authorityKeyIdentifier is the CA's subjectKeyIdentifier.
	const caKeyId = caExtensions.get('2.5.29.14')!.value.contents;
	t.is(caKeyId.length, 20);
	const authorityKeyId = readChildren(leafExtensions.get('2.5.29.35')!.value.contents)[0]!;
	t.is(authorityKeyId.tag, 0x80);
	t.deepEqual(authorityKeyId.contents, caKeyId);
	t.false(leafExtensions.get('2.5.29.17')!.critical);

	const caTbs = tbsOf(caCert);
	const leafTbs = tbsOf(leafCert);
	t.is(caTbs.version, 'a003020102', 'X.509 v3');
	t.is(caTbs.signature, '300d06092a864886f70d01010b0500', 'sha256WithRSAEncryption');
	t.is(caTbs.outerAlgorithm, caTbs.signature);
	t.deepEqual(leafTbs.issuer, caTbs.subject, 'issuer is the CA subject byte for byte');
	t.deepEqual(caTbs.issuer, caTbs.subject);
	// A positive 16-byte serial, different for each certificate.
	t.is(caTbs.serial.length, 16);
	t.is(caTbs.serial[0]! & 0x80, 0);
	t.notDeepEqual(caTbs.serial, leafTbs.serial);
	// Starts an hour back for clock skew; the CA lasts 3650 days, the leaf 825.
	const hour = 60 * 60 * 1000;
	const day = 24 * hour;
	t.true(Math.abs(Date.now() - hour - caTbs.notBefore.getTime()) < 60_000);
	t.true(Math.abs(Date.now() + 3650 * day - caTbs.notAfter.getTime()) < 60_000);
	t.true(Math.abs(Date.now() + 825 * day - leafTbs.notAfter.getTime()) < 60_000);
});

test('a leaf never outlives its CA', async (t) => {
	const { otherCa, otherLeaf } = await getFixture();
	t.is(new X509Certificate(otherLeaf.certPem).validTo, new X509Certificate(otherCa.certPem).validTo);
});

/** Connects to the server and reports whether the peer was authorized, or the error. */
function connect(options: tls.ConnectionOptions): Promise<{ authorized: boolean } | { error: NodeJS.ErrnoException }> {
	return new Promise((resolve) => {
		const socket = tls.connect(options, () => {
			const authorized = socket.authorized;
			socket.end();
			resolve({ authorized });
		});
		socket.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
	});
}

test('a real TLS handshake trusts the chain only under the right CA', async (t) => {
	const { ca, leaf, otherCa } = await getFixture();
	const chainPem = `${leaf.certPem}${ca.certPem}`;
	const server = tls.createServer({ key: leaf.keyPem, cert: chainPem }, (socket) => socket.end());
	server.on('tlsClientError', () => undefined);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	t.teardown(() => server.close());
	const { port } = server.address() as AddressInfo;

	t.deepEqual(await connect({ host: '127.0.0.1', servername: 'localhost', port, ca: ca.certPem }), { authorized: true });
	// No servername: the identity check runs against the IP address, which the leaf names.
	t.deepEqual(await connect({ host: '127.0.0.1', port, ca: ca.certPem }), { authorized: true });

	const untrusted = await connect({ host: '127.0.0.1', servername: 'localhost', port, ca: otherCa.certPem });
	t.true('error' in untrusted);
	if ('error' in untrusted) t.regex(untrusted.error.code ?? '', /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/);

	const wrongName = await connect({ host: '127.0.0.1', servername: 'example.com', port, ca: ca.certPem });
	t.true('error' in wrongName);
	if ('error' in wrongName) t.is(wrongName.error.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

// Bad input to the issuers: [what, call, message pattern].
const ISSUE_ERRORS: [string, (fixture: Fixture) => Promise<unknown>, RegExp][] = [
	['an empty common name', () => createCa({ commonName: ' ' }), /commonName must be a non-empty string/],
	['a 65-character common name', () => createCa({ commonName: 'x'.repeat(65) }), /longer than 64/],
	['zero days', () => createCa({ commonName: 'x', days: 0 }), /days must be a whole number/],
	['fractional days', ({ ca }) => createServerCertificate({ ca, hosts: ['a'], days: 1.5 }), /days must be a whole number/],
	['no hosts', ({ ca }) => createServerCertificate({ ca, hosts: [] }), /non-empty array/],
	['a host with a space', ({ ca }) => createServerCertificate({ ca, hosts: ['bad host'] }), /neither an IP address nor a DNS name/],
	['a host that is not a string', ({ ca }) => createServerCertificate({ ca, hosts: [42 as unknown as string] }), /non-empty string/],
	['an IPv6 zone id', ({ ca }) => createServerCertificate({ ca, hosts: ['fe80::1%eth0'] }), /zone ids/],
	['a leaf as the CA', ({ leaf }) => createServerCertificate({ ca: leaf, hosts: ['a'] }), /not a CA/],
	['a CA with the wrong key', ({ ca, otherCa }) => createServerCertificate({ ca: { certPem: ca.certPem, keyPem: otherCa.keyPem }, hosts: ['a'] }), /does not belong/],
	['a CA that is not PEM', () => createServerCertificate({ ca: { certPem: 'nope', keyPem: 'nope' }, hosts: ['a'] }), /CA certificate cannot be read/],
];

for (const [what, call, message] of ISSUE_ERRORS) {
	test(`issuing rejects ${what}`, async (t) => {
		await t.throwsAsync(call(await getFixture()), { message });
	});
}

test('IPv6 literals, including an embedded IPv4 tail, become iPAddress entries', async (t) => {
	const leaf = new X509Certificate((await getFixture()).otherLeaf.certPem);
	t.is(leaf.checkIP('::ffff:a00:1'), '::ffff:a00:1');
	t.is(leaf.checkIP('2001:db8:0:0:0:0:8:1'), '2001:db8:0:0:0:0:8:1');
	t.is(leaf.checkHost('example.com'), 'example.com');
	t.is(leaf.subject, 'CN=::ffff:10.0.0.1');
});

// ---- ensureCloudTls ----

function temporaryDir(t: { teardown(fn: () => void): void }): string {
	const dir = mkdtempSync(join(tmpdir(), 'updraft-tls-'));
	t.teardown(() => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

const countCertificates = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
const mode = (path: string) => statSync(path).mode & 0o777;

test('ensureCloudTls creates the files once and loads them after', async (t) => {
	const dir = temporaryDir(t);
	// Two calls at once must not each make a CA.
	const [first, racing] = await Promise.all([ensureCloudTls(dir), ensureCloudTls(dir)]);
	t.deepEqual(racing, first);
	t.is(first.caPath, join(dir, 'tls', 'ca.pem'));
	t.is(readFileSync(first.caPath, 'utf8'), first.caPem);
	t.is(readFileSync(join(dir, 'tls', 'server.pem'), 'utf8'), first.certPem);
	t.is(readFileSync(join(dir, 'tls', 'server-key.pem'), 'utf8'), first.keyPem);
	t.is(readFileSync(join(dir, 'tls', 'chain.pem'), 'utf8'), first.chainPem);
	if (process.platform !== 'win32') {
		t.is(mode(join(dir, 'tls', 'ca-key.pem')), 0o600);
		t.is(mode(join(dir, 'tls', 'server-key.pem')), 0o600);
	}
	t.is(countCertificates(first.chainPem), 2);
	t.true(first.chainPem.startsWith(first.certPem.trimEnd()));
	const leaf = new X509Certificate(first.certPem);
	t.true(leaf.checkIssued(new X509Certificate(first.caPem)));
	t.is(leaf.checkHost('localhost'), 'localhost');
	t.is(leaf.checkIP('127.0.0.1'), '127.0.0.1');

	const second = await ensureCloudTls(dir);
	t.deepEqual(second, first);
	// Hosts the leaf already names, in any order, keep it.
	t.is((await ensureCloudTls(dir, ['127.0.0.1'])).certPem, first.certPem);
});

/** A folder whose tls/ already holds the given files (name → contents). */
function seededDir(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
	const dir = temporaryDir(t);
	mkdirSync(join(dir, 'tls'));
	for (const [name, contents] of Object.entries(files)) writeFileSync(join(dir, 'tls', name), contents, { mode: 0o600 });
	return dir;
}

test('ensureCloudTls loads an existing leaf, and re-issues it with the same CA for new hosts, keeping the old names', async (t) => {
	const { ca, leaf } = await getFixture();
	const dir = seededDir(t, { 'ca.pem': ca.certPem, 'ca-key.pem': ca.keyPem, 'server.pem': leaf.certPem, 'server-key.pem': leaf.keyPem });
	const loaded = await ensureCloudTls(dir);
	t.is(loaded.caPem, ca.certPem);
	t.is(loaded.certPem, leaf.certPem);
	t.is(countCertificates(readFileSync(join(dir, 'tls', 'chain.pem'), 'utf8')), 2, 'a missing chain is written');

	const wider = await ensureCloudTls(dir, ['updraft.local', '192.168.1.10']);
	t.is(wider.caPem, ca.certPem);
	t.not(wider.certPem, leaf.certPem);
	t.not(wider.keyPem, leaf.keyPem);
	const widerLeaf = new X509Certificate(wider.certPem);
	t.true(widerLeaf.verify(new X509Certificate(ca.certPem).publicKey));
	t.is(widerLeaf.subject, 'CN=updraft.local');
	for (const host of ['updraft.local', 'localhost']) t.is(widerLeaf.checkHost(host), host);
	for (const ip of ['192.168.1.10', '127.0.0.1', '::1']) t.is(widerLeaf.checkIP(ip), ip);
	t.is(readFileSync(join(dir, 'tls', 'server.pem'), 'utf8'), wider.certPem);
	t.is(readFileSync(join(dir, 'tls', 'chain.pem'), 'utf8'), wider.chainPem);
});

test('ensureCloudTls re-issues a leaf that expires within 30 days', async (t) => {
	const { ca, shortLeaf } = await getFixture();
	const dir = seededDir(t, { 'ca.pem': ca.certPem, 'ca-key.pem': ca.keyPem, 'server.pem': shortLeaf.certPem, 'server-key.pem': shortLeaf.keyPem });
	const renewed = await ensureCloudTls(dir);
	t.is(renewed.caPem, ca.certPem);
	t.not(renewed.certPem, shortLeaf.certPem);
	t.true(Date.parse(new X509Certificate(renewed.certPem).validTo) > Date.now() + 800 * 24 * 60 * 60 * 1000);
});

test('ensureCloudTls keeps a leaf that ends with its CA, since a new one could not last longer', async (t) => {
	const { otherCa, otherLeaf } = await getFixture();
	const dir = seededDir(t, { 'ca.pem': otherCa.certPem, 'ca-key.pem': otherCa.keyPem, 'server.pem': otherLeaf.certPem, 'server-key.pem': otherLeaf.keyPem });
	t.is((await ensureCloudTls(dir, ['example.com'])).certPem, otherLeaf.certPem);
});

test('ensureCloudTls re-issues a leaf whose key does not match, and tightens loose key modes', async (t) => {
	const { ca, leaf, shortLeaf } = await getFixture();
	const dir = seededDir(t, { 'ca.pem': ca.certPem, 'ca-key.pem': ca.keyPem, 'server.pem': leaf.certPem, 'server-key.pem': shortLeaf.keyPem });
	if (process.platform !== 'win32') chmodSync(join(dir, 'tls', 'ca-key.pem'), 0o644);
	const result = await ensureCloudTls(dir);
	t.not(result.certPem, leaf.certPem);
	t.true(new X509Certificate(result.certPem).checkPrivateKey(createPrivateKey(result.keyPem)));
	if (process.platform !== 'win32') t.is(mode(join(dir, 'tls', 'ca-key.pem')), 0o600);
});

test('ensureCloudTls refuses a CA certificate whose key is missing', async (t) => {
	const { ca } = await getFixture();
	const dir = seededDir(t, { 'ca.pem': ca.certPem });
	await t.throwsAsync(ensureCloudTls(dir), { message: /ca-key\.pem is missing/ });
	t.is(readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8'), ca.certPem, 'the CA certificate is left alone');
});

test('ensureCloudTls rejects bad hosts with a clear error', async (t) => {
	const dir = temporaryDir(t);
	await t.throwsAsync(ensureCloudTls(dir, ['no_underscores']), { message: /neither an IP address nor a DNS name/ });
	await t.throwsAsync(ensureCloudTls(''), { message: /folder path/ });
});
