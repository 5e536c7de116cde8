/*
 * The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core. A small
 * fleet goes through a staged rollout first, so that the page shows a real one; then the test
 * signs in through the form, checks the counters against the admin API, looks at the pixels of
 * a screenshot of the rollout chart and of the version histogram, and runs a dry run from the
 * form. Skipped, saying so, where /usr/bin/chromium is not installed (.ci/run installs it).
 */
import test from 'ava';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startTestCloud } from '../helpers/cloud';
import { dryRun, getRelease } from '../../simulator/cloud/admin-client';
import { runFleet } from '../../simulator/fleet/fleet-run';
import { SERIES_COLORS } from '../../simulator/cloud/dashboard/page';
import { countColour, decodePng } from './png';

const CHROMIUM = '/usr/bin/chromium';
const browserTest = existsSync(CHROMIUM) ? test : test.skip;
if (!existsSync(CHROMIUM)) process.stderr.write(`dashboard browser test skipped: ${CHROMIUM} is not installed (apt-get install chromium)\n`);

/** The SHA-256 of the certificate's public key, which Chromium is told to accept: trust in that key only. */
function spkiHash(certificatePem: string): string {
	const key = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
	return createHash('sha256').update(key).digest('base64');
}

browserTest('the dashboard shows a real rollout in Chromium: counters, chart, histogram, dry run', async (t) => {
	const cloud = await startTestCloud(t);
	const admin = { cloud: cloud.url, caPem: cloud.caPem, token: cloud.adminToken };
	const summary = await runFleet({
		cloud, devices: 40, seed: 'dash-browser', product: 'sensor', to: '2.0.0',
		from: [{ version: '1.0.0', weight: 2 }, { version: '1.1.0', weight: 1 }], imageSize: 4096,
		plan: { stages: [20, 100], limit: null, rate: null, period: null, policy: '' }, concurrency: 16, checkPeriodMs: 3_600_000, idleScale: 1000,
	});
	t.is(summary.errors, 0);
	t.is(summary.versionsAfter['2.0.0'], 40);

	const profile = mkdtempSync(join(tmpdir(), 'updraft-chromium-'));
	t.teardown(() => rmSync(profile, { recursive: true, force: true }));
	// A fresh profile (the user-data-dir) and headless mode are Playwright's to set; the rest as asked.
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		viewport: { width: 1280, height: 1000 },
		args: [
			'--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			`--ignore-certificate-errors-spki-list=${spkiHash(readFileSync(join(cloud.dataDir, 'tls', 'server.pem'), 'utf8'))}`,
		],
	});
	t.teardown(() => context.close());
	const page = await context.newPage();

	await page.goto(`${cloud.url}/dashboard`);
	t.is(await page.title(), 'Updraft cloud: sign in');
	await page.fill('input[name=token]', cloud.adminToken);
	await Promise.all([page.waitForURL(`${cloud.url}/dashboard`), page.click('#login button[type=submit]')]);
	await page.waitForSelector('#progress-chart');

	// The counters on the page are the API's numbers.
	const release = await getRelease({ ...admin, id: summary.release.id });
	t.like(release.counters, { devices: 40, success: 40 });
	for (const [name, value] of Object.entries(release.counters)) {
		t.is(await page.textContent(`tr[data-release="${release.id}"] [data-counter="${name}"]`), String(value), name);
	}
	t.is(await page.textContent('#devices-known'), '40');

	// The chart as drawn: each series' colour is there, and the success line ends high on the right.
	const chart = decodePng(await page.locator('#progress-chart').screenshot());
	t.true(chart.width > 400 && chart.height > 100, `${chart.width}x${chart.height}`);
	t.true(countColour(chart, SERIES_COLORS.offered) > 150, 'offered line');
	t.true(countColour(chart, SERIES_COLORS.success) > 150, 'success line');
	const rightTop = { x: Math.floor(chart.width * 0.8), y: 0, width: Math.floor(chart.width * 0.2) - 1, height: Math.floor(chart.height / 2) };
	t.true(countColour(chart, SERIES_COLORS.success, rightTop) > 20, 'the success line reaches the upper right');
	const leftTop = { x: 0, y: 0, width: Math.floor(chart.width * 0.1), height: Math.floor(chart.height / 3) };
	t.true(countColour(chart, SERIES_COLORS.success, { ...leftTop, x: Math.floor(chart.width * 0.07), width: Math.floor(chart.width * 0.05) }) < 40, 'the success line starts low');

	// The histogram: every device on 2.0.0 is one long bar of the success colour.
	const histogram = decodePng(await page.locator('#version-histogram').screenshot());
	t.true(countColour(histogram, SERIES_COLORS.success) > 1000, 'the 2.0.0 bar');

	// The dry-run box answers as the API does.
	await page.fill('#dry-run textarea[name=policy]', 'memory >= 512 && region != "eu"');
	await page.fill('#dry-run input[name=version]', '3.0.0');
	await Promise.all([page.waitForSelector('#dry-run-result'), page.click('#dry-run button[type=submit]')]);
	const expected = await dryRun({ ...admin, product: 'sensor', version: '3.0.0', policy: 'memory >= 512 && region != "eu"' });
	t.true(expected.matched > 0 && expected.matched < 40, `matched ${expected.matched}`);
	t.regex(await page.textContent('#dry-run-result') ?? '', new RegExp(`^${expected.matched} of 40 known sensor devices not on 3\\.0\\.0`));

	const shot = decodePng(await page.screenshot({ fullPage: true }));
	t.true(shot.height > 800, 'the whole page');
});
