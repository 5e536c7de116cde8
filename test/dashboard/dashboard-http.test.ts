/*
 * The dashboard over HTTPS: signing in and out, the page and its JSON twin with real data, the
 * dry-run box, and the answers to the wrong token, a wrong form and a stale link.
 */
import test from 'ava';
import { call, startTestCloud } from '../helpers/cloud';
import { createRelease, getRelease } from '../../simulator/cloud/admin-client';
import { makeImage } from '../../simulator/image';
import { runFleet } from '../../simulator/fleet/fleet-run';

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
	method: 'POST',
	headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
	body: new URLSearchParams(fields).toString(),
});

test('sign in with the admin token, see the rollout, dry-run a policy, sign out', async (t) => {
	const cloud = await startTestCloud(t);
	const summary = await runFleet({
		cloud, devices: 40, seed: 'dash-http', product: 'sensor', to: '2.0.0', from: [{ version: '1.0.0', weight: 1 }], imageSize: 4096,
		plan: { stages: [50, 100], limit: null, rate: null, period: null, policy: '' }, concurrency: 16, checkPeriodMs: 3_600_000, idleScale: 1000,
	});
	t.is(summary.errors, 0);

	const signedOut = await call(cloud, '/dashboard');
	t.is(signedOut.status, 401);
	t.regex(signedOut.body.toString(), /<form method="post" action="\/dashboard\/login">/);
	t.regex(String(signedOut.headers['content-security-policy']), /default-src 'none'/);
	t.is(signedOut.headers['x-frame-options'], 'DENY');

	const wrong = await call(cloud, '/dashboard/login', form({ token: 'not-the-token-at-all' }));
	t.is(wrong.status, 401);
	t.regex(wrong.body.toString(), /That is not the admin token/);
	t.is(wrong.headers['set-cookie'], undefined);
	// The fleet token is a token, but not the admin's.
	t.is((await call(cloud, '/dashboard/login', form({ token: cloud.fleetToken }))).status, 401);

	const login = await call(cloud, '/dashboard/login', form({ token: cloud.adminToken }));
	t.is(login.status, 303);
	t.is(login.headers.location, '/dashboard');
	const cookie = String(login.headers['set-cookie']).split(';')[0]!;
	t.regex(cookie, /^updraft_dashboard=[0-9a-f]{64}$/);
	t.false(cookie.includes(cloud.adminToken));

	const page = await call(cloud, '/dashboard', { headers: { Cookie: cookie } });
	t.is(page.status, 200);
	const text = page.body.toString();
	const release = await getRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, id: summary.release.id });
	for (const [name, value] of Object.entries(release.counters)) t.regex(text, new RegExp(`data-counter="${name}">${value}<`), name);
	t.regex(text, /<svg id="progress-chart"/);
	t.regex(text, /<span id="devices-known">40<\/span>/);
	t.regex(text, /data-bar="2.0.0"/);
	t.regex(text, /<td>dev-\d+<\/td><td>[0-9a-f]{16}<\/td>/);
	t.is((await call(cloud, '/dashboard/style.css')).headers['content-type'], 'text/css; charset=utf-8');

	// The same data as JSON, for scripts, behind the admin API's own check.
	t.is((await call(cloud, '/api/dashboard', { headers: { Cookie: cookie } })).status, 401);
	const json = (await call(cloud, '/api/dashboard', { headers: { Authorization: `Bearer ${cloud.adminToken}` } })).json();
	t.is(json.selected.id, summary.release.id);
	t.deepEqual(json.versions, [{ version: '2.0.0', devices: 40 }]);
	t.is(json.progress.at(-1).success, 40);

	// Dry run: a policy that picks the devices in one region, none of which runs 3.0.0.
	const dry = await call(cloud, '/dashboard/dry-run', form({ product: 'sensor', version: '3.0.0', policy: 'region == "eu"' }, { Cookie: cookie }));
	t.is(dry.status, 200);
	const eu = (await call(cloud, '/api/devices?product=sensor', { headers: { Authorization: `Bearer ${cloud.adminToken}` } })).json().devices
		.filter((d: { properties: { region: string } }) => d.properties.region === 'eu').length;
	t.regex(dry.body.toString(), new RegExp(`<strong>${eu}</strong> of 40 known sensor devices`));
	const bad = await call(cloud, '/dashboard/dry-run', form({ product: 'sensor', version: '3.0.0', policy: 'region == ' }, { Cookie: cookie }));
	t.is(bad.status, 400);
	t.regex(bad.body.toString(), /id="dry-run-error">/);

	const logout = await call(cloud, '/dashboard/logout', { method: 'POST' });
	t.is(logout.status, 303);
	t.regex(String(logout.headers['set-cookie']), /Max-Age=0/);
});

test('wrong requests get clear answers', async (t) => {
	const cloud = await startTestCloud(t);
	await createRelease({ cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken, product: 'sensor', version: '1.1.0', image: makeImage({ product: 'sensor', version: '1.1.0' }, 4096) });
	const bearer = { Authorization: `Bearer ${cloud.adminToken}` };
	// [path, request, status, what the answer says]
	const table: [string, Parameters<typeof call>[2], number, RegExp][] = [
		['/dashboard?release=nope', { headers: bearer }, 200, /id="notice">There is no release with id &quot;nope&quot;/],
		['/dashboard?product=a%20b', { headers: bearer }, 200, /id="notice">product must be/],
		['/dashboard?refresh=1', { headers: bearer }, 400, /refresh must be a whole number of seconds from 2 to 3600/],
		['/dashboard?refresh=10', { headers: bearer }, 200, /<meta http-equiv="refresh" content="10">/],
		['/dashboard', { headers: { Authorization: 'Bearer wrong-token-1234567' } }, 401, /Sign in/],
		['/dashboard/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }, 415, /application\/x-www-form-urlencoded/],
		['/dashboard/login', form({ token: 'x'.repeat(20_000) }), 413, /larger than/],
		['/dashboard/dry-run', form({ product: 'sensor', version: '2.0.0', policy: '' }), 401, /session ended/],
		['/dashboard/dry-run', form({ product: 'sensor', version: 'two', policy: '' }, bearer), 400, /version \(of the release to try\) must be a SemVer/],
		['/dashboard', { method: 'DELETE', headers: bearer }, 405, /not allowed/],
	];
	for (const [path, options, status, message] of table) {
		const answer = await call(cloud, path, options);
		t.is(answer.status, status, path);
		t.regex(answer.body.toString(), message, path);
	}
});
