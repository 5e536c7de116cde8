import test from 'ava';
import { parseHttpsUrl, MAX_URL_LENGTH } from '../../modules/http/url';

// Accepted URLs: [url, host, port, path].
const VALID: [string, string, number, string][] = [
	['https://example.com', 'example.com', 443, '/'],
	['https://example.com/', 'example.com', 443, '/'],
	['HTTPS://Example.COM/Path/Kept', 'example.com', 443, '/Path/Kept'],
	['https://api.example.com:8443/tok/provision/update', 'api.example.com', 8443, '/tok/provision/update'],
	['https://example.com?x=1&y=2', 'example.com', 443, '/?x=1&y=2'],
	['https://example.com/a/b?x=1#frag', 'example.com', 443, '/a/b?x=1'],
	['https://example.com#only-fragment', 'example.com', 443, '/'],
	['https://example.com:1/', 'example.com', 1, '/'],
	['https://example.com:65535/', 'example.com', 65535, '/'],
	['https://example.com:0443/', 'example.com', 443, '/'],
	['https://127.0.0.1:8443/img.bin', '127.0.0.1', 8443, '/img.bin'],
	['https://0.0.0.0/', '0.0.0.0', 443, '/'],
	['https://255.255.255.255/', '255.255.255.255', 443, '/'],
	['https://[::1]:8443/x', '::1', 8443, '/x'],
	['https://[2001:DB8::1]/', '2001:db8::1', 443, '/'],
	['https://[::ffff:192.0.2.1]/', '::ffff:192.0.2.1', 443, '/'],
	['https://[1:2:3:4:5:6:7:8]/', '1:2:3:4:5:6:7:8', 443, '/'],
	['https://[::]/', '::', 443, '/'],
	['https://my-host_1.local/', 'my-host_1.local', 443, '/'],
	['https://xn--bcher-kva.example/', 'xn--bcher-kva.example', 443, '/'],
	['https://s3.amazonaws.com/b/k?X-Amz-Signature=ab%2Fcd', 's3.amazonaws.com', 443, '/b/k?X-Amz-Signature=ab%2Fcd'],
	// Non-ASCII in the path is sent percent-encoded as UTF-8.
	['https://example.com/f\u00fcr/\u{1f600}?q=\u00e9', 'example.com', 443, '/f%C3%BCr/%F0%9F%98%80?q=%C3%A9'],
	['https://example.com/a@b:c', 'example.com', 443, '/a@b:c'],
];

for (const [url, host, port, path] of VALID) {
	test(`parses ${url}`, (t) => {
		t.deepEqual(parseHttpsUrl(url), { host, port, path });
	});
}

// Refused URLs: [url, a pattern the error message must match].
const INVALID: [string, RegExp][] = [
	['http://x', /^URL must use https: "http:\/\/x"$/],
	['ftp://example.com/', /must use https/],
	['example.com/path', /must be absolute and start with https:\/\//],
	['//example.com/', /must be absolute/],
	['https:/example.com', /must start with https:\/\/ \(two slashes\)/],
	['', /URL is empty/],
	['https://', /no host/],
	['https:///path', /no host/],
	['https://:443/', /no host/],
	['https://user:pw@example.com/', /user information/],
	['https://user@example.com/', /user information/],
	[' https://example.com/', /space/],
	['https://example.com/a b', /space/],
	['https://example.com/\n', /control character/],
	['https://example.com/\t', /control character/],
	['https://example.com/\x00', /control character/],
	['https://example.com/\x7f', /control character/],
	['https://example.com\\evil.com/', /backslash/],
	['https://example.com:/', /empty port/],
	['https://example.com:0/', /out of range/],
	['https://example.com:65536/', /out of range/],
	['https://example.com:123456/', /not a number/],
	['https://example.com:-1/', /not a number/],
	['https://example.com:8o/', /not a number/],
	['https://[::1]x/', /after the IPv6 address/],
	['https://[::1/', /unclosed/],
	['https://[::g]/', /invalid IPv6/],
	['https://[1:2:3:4:5:6:7:8:9]/', /invalid IPv6/],
	['https://[1::2::3]/', /invalid IPv6/],
	['https://[fe80::1%25eth0]/', /invalid IPv6/],
	['https://[1.2.3.4]/', /invalid IPv6/],
	['https://256.1.1.1/', /invalid IPv4/],
	['https://1.2.3/', /invalid IPv4/],
	['https://01.2.3.4/', /invalid IPv4/],
	['https://0x7f.0.0.1/', /invalid IPv4/],
	['https://exa mple.com/', /space/],
	['https://exa_mple..com/', /empty label/],
	['https://example.com./', /empty label/],
	['https://-example.com/', /not a valid host name/],
	['https://exa%41mple.com/', /not a valid host name/],
	['https://b\u00fccher.example/', /punycode/],
	[`https://${'a'.repeat(64)}.com/`, /longer than 63/],
	[`https://${'abc.'.repeat(64)}com/`, /longer than 253/],
	['https://example.com/%zz', /"%" that is not followed by two hex digits/],
	['https://example.com/%4', /"%" that is not followed by two hex digits/],
	[`https://example.com/${'a'.repeat(MAX_URL_LENGTH)}`, /longer than 8192/],
];

for (const [url, message] of INVALID) {
	test(`refuses ${JSON.stringify(url.length > 60 ? `${url.slice(0, 60)}...` : url)}`, (t) => {
		t.throws(() => parseHttpsUrl(url), { instanceOf: Error, message });
	});
}

test('refuses a non-string', (t) => {
	t.throws(() => parseHttpsUrl(undefined as unknown as string), { instanceOf: TypeError, message: /must be a string/ });
	t.throws(() => parseHttpsUrl(null as unknown as string), { instanceOf: TypeError, message: /null/ });
});

test('agrees with WHATWG URL on host, port and path for accepted URLs', (t) => {
	for (const [url] of VALID) {
		const parsed = parseHttpsUrl(url);
		const whatwg = new URL(url);
		t.is(whatwg.hostname.replace(/^\[|\]$/g, ''), parsed.host.includes(':') ? new URL(`https://[${parsed.host}]/`).hostname.slice(1, -1) : parsed.host, url);
		t.is(Number(whatwg.port || 443), parsed.port, url);
		t.is(whatwg.pathname + whatwg.search, parsed.path, url);
	}
});
