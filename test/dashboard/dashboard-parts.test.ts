/*
 * The dashboard's parts without a server: escaping, the rollout series, the charts, the session
 * cookie, and a page rendered from hostile data.
 */
import test from 'ava';
import type { IncomingMessage } from 'node:http';
import { escapeHtml, html } from '../../simulator/cloud/dashboard/html';
import { rolloutSeries } from '../../simulator/cloud/dashboard/progress';
import { barChart, lineChart, niceMax } from '../../simulator/cloud/dashboard/chart';
import { cookieValue, sessionCookie, sessionValue, signedIn } from '../../simulator/cloud/dashboard/auth';
import { renderDashboard, renderLogin } from '../../simulator/cloud/dashboard/page';
import type { DashboardData } from '../../simulator/cloud/dashboard/data';
import type { ReleaseInfo } from '../../simulator/cloud/catalog';

test('values are escaped; markup built with html passes as it is', (t) => {
	t.is(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
	const inner = html`<b>${'<i>'}</b>`;
	t.is(html`<p>${inner}${[html`<br>`, '<br>']}${undefined}${null}${false}${0}</p>`.text, '<p><b>&lt;i&gt;</b><br>&lt;br&gt;0</p>');
});

test('a round axis maximum is at least the largest value', (t) => {
	// [largest value, axis top]
	const table: [number, number][] = [[0, 1], [1, 1], [7, 10], [11, 15], [120, 150], [160, 200], [240, 250], [300, 500], [10_000, 10_000], [10_001, 15_000]];
	for (const [max, top] of table) t.is(niceMax(max), top, String(max));
});

test('the rollout series counts offers, starts and reports cumulatively up to their totals', (t) => {
	const t0 = Date.UTC(2030, 0, 1);
	const grants = [{ offered: t0, started: t0 + 1000 }, { offered: t0 + 2000, started: null }, { offered: t0 + 3000, started: t0 + 4000 }];
	const reports = [{ time: new Date(t0 + 5000).toISOString(), success: true }, { time: new Date(t0 + 6000).toISOString(), success: false }, { time: 'not a time', success: true }];
	const series = rolloutSeries({ grants, reports }, t0 + 10_000, 11);
	t.is(series.length, 11);
	t.deepEqual(series[0], { time: t0, offered: 1, started: 0, success: 0, failure: 0 });
	t.deepEqual(series.at(-1), { time: t0 + 10_000, offered: 3, started: 2, success: 1, failure: 1 });
	for (let i = 1; i < series.length; i++) {
		for (const key of ['offered', 'started', 'success', 'failure'] as const) t.true(series[i]![key] >= series[i - 1]![key]);
	}
	t.deepEqual(rolloutSeries({ grants: [], reports: [] }, t0), []);
	// A rollout long over keeps its own time scale instead of squeezing into the left edge.
	const old = rolloutSeries({ grants, reports }, t0 + 30 * 86_400_000, 5);
	t.true(old.at(-1)!.time < t0 + 10_000);
	t.throws(() => rolloutSeries({ grants, reports }, t0, 1), { instanceOf: RangeError });
});

test('the charts draw a line per series and a bar per version', (t) => {
	const times = [0, 1000, 2000];
	const line = lineChart('c', times, [{ name: 'success', color: '#2e9e5b', values: [0, 5, 10] }, { name: 'x<y', color: '#000000', values: [0, 0, 1] }], { width: 400, height: 200 }, 'a "label"').text;
	t.is((line.match(/<polyline /g) ?? []).length, 2);
	t.regex(line, /data-series="x&lt;y"/);
	t.regex(line, /aria-label="a &quot;label&quot;"/);
	t.regex(line, />success 10</);
	const bars = barChart('b', [{ label: '2.0.0', value: 8, color: '#2e9e5b' }, { label: '1.0.0', value: 2, color: '#888888' }], 400, 'versions').text;
	t.is((bars.match(/<rect /g) ?? []).length, 2);
	t.regex(bars, /data-bar="2.0.0"/);
});

function request(headers: Record<string, string>): IncomingMessage {
	return { headers } as unknown as IncomingMessage;
}

test('the session cookie opens the dashboard, and only the right one does', (t) => {
	const admin = 'a'.repeat(64);
	const session = sessionValue(admin);
	t.not(session, admin);
	t.regex(sessionCookie(admin), /HttpOnly; Secure; SameSite=Strict/);
	// [headers, signed in]
	const table: [Record<string, string>, boolean][] = [
		[{}, false],
		[{ cookie: `updraft_dashboard=${session}` }, true],
		[{ cookie: `other=1; updraft_dashboard=${session}; x=2` }, true],
		[{ cookie: `updraft_dashboard=${sessionValue('b'.repeat(64))}` }, false],
		[{ cookie: `updraft_dashboard=${session}; updraft_dashboard=${session}` }, false],
		[{ cookie: 'updraft_dashboard=not-hex' }, false],
		[{ cookie: `updraft_dashboard=${admin}` }, false],
		[{ authorization: `Bearer ${admin}` }, true],
		[{ authorization: 'Bearer wrong-token-123456' }, false],
		// A wrong bearer token is not rescued by a good cookie: the caller said who it is.
		[{ authorization: 'Bearer wrong-token-123456', cookie: `updraft_dashboard=${session}` }, false],
	];
	for (const [headers, expected] of table) t.is(signedIn(request(headers), admin), expected, JSON.stringify(headers));
	t.is(cookieValue('a=1; b = 2', 'b'), '2');
	t.is(cookieValue(undefined, 'b'), undefined);
});

function release(overrides: Partial<ReleaseInfo>): ReleaseInfo {
	return {
		id: 'r1', product: 'sensor', version: '2.0.0', description: '', policy: '', enable: true, limit: null, percentage: null, rate: null, period: null,
		checksum: 'c'.repeat(64), size: 4096, created: '2030-01-01T00:00:00.000Z', updated: '2030-01-01T00:00:00.000Z', halted: null,
		counters: { requests: 9, offered: 8, devices: 7, started: 6, success: 5, failure: 1 },
		...overrides,
	} as ReleaseInfo;
}

test('the page shows releases, rollout, versions, reports and the dry run, with hostile text escaped', (t) => {
	const evil = '<script>alert(1)</script>';
	const selected = release({ policy: `model == "${evil}"`, description: evil, halted: `too many failures ${evil}`, enable: false });
	const data: DashboardData = {
		now: Date.UTC(2030, 0, 1, 12),
		releases: [selected, release({ id: 'r0', version: '1.5.0', percentage: 25, limit: 100, rate: 10, period: 60 })],
		selected,
		progress: [{ time: Date.UTC(2030, 0, 1), offered: 1, started: 1, success: 0, failure: 0 }, { time: Date.UTC(2030, 0, 1, 12), offered: 8, started: 6, success: 5, failure: 1 }],
		failureReasons: { SELF_TEST_FAILED: 1 },
		product: 'sensor',
		versions: [{ version: '2.0.0', devices: 5 }, { version: evil, devices: 1 }],
		devicesKnown: 6,
		reports: [{ seq: 1, time: '2030-01-01T11:00:00.000Z', id: evil, update: 'r1', success: false, reason: 'SELF_TEST_FAILED', version: '1.0.0' }],
	};
	const page = renderDashboard(data, { dryRun: { product: 'sensor', version: '2.0.0', policy: evil, error: `bad policy ${evil}` } });
	t.false(page.includes(evil));
	t.regex(page, /<tr data-release="r1" class="selected">/);
	t.regex(page, /data-counter="success">5</);
	t.regex(page, /<td>25%<\/td><td>100<\/td><td>10 \/ 60 s<\/td>/);
	t.regex(page, /class="state halted"/);
	t.regex(page, /<svg id="progress-chart"/);
	t.regex(page, /<svg id="version-histogram"/);
	t.regex(page, /Failures by reason: <code>SELF_TEST_FAILED<\/code> 1/);
	t.regex(page, /<span id="devices-known">6<\/span>/);
	t.regex(page, /id="dry-run-error">bad policy &lt;script&gt;/);
	t.regex(renderDashboard(data, { refresh: 5 }), /<meta http-equiv="refresh" content="5">/);
	t.regex(renderLogin('nope'), /id="login-error">nope</);
	const empty = renderDashboard({ ...data, releases: [], selected: null, progress: [], product: null, versions: [], devicesKnown: 0, reports: [], failureReasons: {} });
	t.regex(empty, /No releases yet/);
	t.false(empty.includes('progress-chart'));
});
