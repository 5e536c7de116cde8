/*
 * The dashboard page, rendered on the server: releases with their settings and counters, the
 * rollout of the selected release as a chart over time, the version histogram of its product's
 * known devices, the latest update reports with their reason codes, and a policy dry-run box.
 * No script; forms and links do the rest. `refresh` adds a meta refresh for a live view.
 */
import type { ReleaseInfo } from '../catalog';
import type { DryRunAnswer } from '../release-api';
import { barChart, lineChart } from './chart';
import type { DashboardData } from './data';
import { html, type Html } from './html';

export interface DryRunView {
	product: string;
	version: string;
	policy: string;
	answer?: DryRunAnswer;
	error?: string;
}

export const SERIES_COLORS = { offered: '#6c8ebf', started: '#f0a030', success: '#2e9e5b', failure: '#d9453d' } as const;
/** Devices listed under a dry run's counts. */
const DRY_RUN_SHOWN = 25;

function time(iso: string): string {
	return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function state(r: ReleaseInfo): Html {
	if (r.halted) return html`<span class="state halted" title="${r.halted}">halted</span>`;
	return r.enable ? html`<span class="state enabled">enabled</span>` : html`<span class="state disabled">disabled</span>`;
}

function optional(value: number | null, suffix = ''): string {
	return value === null ? '—' : `${value}${suffix}`;
}

/** Success reports against the devices given the release. */
function doneBar(r: ReleaseInfo): Html {
	const given = r.counters.devices;
	const share = given > 0 ? Math.min(1, r.counters.success / given) : 0;
	return html`<svg class="done" xmlns="http://www.w3.org/2000/svg" width="90" height="12" viewBox="0 0 90 12"><rect width="90" height="12" fill="#e3e6ea"/><rect width="${(90 * share).toFixed(1)}" height="12" fill="${SERIES_COLORS.success}"/></svg> <span class="muted">${Math.round(share * 100)}%</span>`;
}

function releasesTable(data: DashboardData): Html {
	if (data.releases.length === 0) return html`<p class="muted">No releases yet: publish one with <code>updraft release create</code>.</p>`;
	const counters = ['requests', 'offered', 'devices', 'started', 'success', 'failure'] as const;
	return html`<table class="releases">
<thead><tr><th>product</th><th>version</th><th>state</th><th>policy</th><th>percentage</th><th>limit</th><th>rate</th>${counters.map((c) => html`<th class="num">${c === 'devices' ? 'given' : c}</th>`)}<th>done</th></tr></thead>
<tbody>
${data.releases.map((r) => html`<tr data-release="${r.id}"${r.id === data.selected?.id ? html` class="selected"` : ''}>
<td>${r.product}</td><td><a href="/dashboard?release=${encodeURIComponent(r.id)}">${r.version}</a></td><td>${state(r)}</td>
<td>${r.policy ? html`<code>${r.policy}</code>` : html`<span class="muted">older versions</span>`}</td>
<td>${optional(r.percentage, '%')}</td><td>${optional(r.limit)}</td><td>${r.rate === null ? '—' : `${r.rate} / ${r.period} s`}</td>
${counters.map((c) => html`<td class="num" data-counter="${c}">${r.counters[c]}</td>`)}
<td>${doneBar(r)}</td></tr>`)}
</tbody></table>`;
}

function rollout(data: DashboardData): Html {
	const r = data.selected;
	if (!r) return html``;
	const p = data.progress;
	const reasons = Object.entries(data.failureReasons).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
	const chart = p.length === 0
		? html`<p class="muted" id="progress-empty">No device has been offered ${r.product} ${r.version} yet.</p>`
		: lineChart('progress-chart', p.map((point) => point.time), (['offered', 'started', 'success', 'failure'] as const).map((name) => ({
			name, color: SERIES_COLORS[name], values: p.map((point) => point[name]),
		})), { width: 900, height: 320 }, `rollout of ${r.product} ${r.version}`);
	return html`<section id="rollout"><h2>Rollout of ${r.product} ${r.version} <span class="muted">(${r.id})</span></h2>
${r.description ? html`<p>${r.description}</p>` : ''}
${r.halted ? html`<p class="alert">Halted by the cloud: ${r.halted}</p>` : ''}
${chart}
${reasons.length ? html`<p id="failure-reasons">Failures by reason: ${reasons.map(([reason, n], i) => html`${i ? ', ' : ''}<code>${reason}</code> ${n}`)}</p>` : ''}
</section>`;
}

function versions(data: DashboardData): Html {
	if (data.product === null) return html``;
	const target = data.selected?.product === data.product ? data.selected.version : undefined;
	const bars = data.versions.map((v) => ({ label: v.version, value: v.devices, color: v.version === target ? SERIES_COLORS.success : '#8a96a3' }));
	return html`<section id="versions"><h2>Versions of ${data.product} devices</h2>
<p class="muted"><span id="devices-known">${data.devicesKnown}</span> devices known, by the version of their latest check-in.</p>
${bars.length ? barChart('version-histogram', bars, 560, `versions of ${data.product} devices`) : ''}
</section>`;
}

function reports(data: DashboardData): Html {
	return html`<section id="reports"><h2>Latest update reports</h2>
${data.reports.length === 0 ? html`<p class="muted">No reports yet.</p>` : html`<table>
<thead><tr><th>time</th><th>device</th><th>release</th><th>result</th><th>reason</th><th>running</th></tr></thead>
<tbody>${data.reports.map((r) => html`<tr><td>${time(r.time)}</td><td>${r.id}</td><td>${r.update}</td>
<td>${r.success ? html`<span class="state enabled">success</span>` : html`<span class="state halted">failure</span>`}</td>
<td>${r.reason ? html`<code>${r.reason}</code>` : '—'}</td><td>${r.version ?? '—'}</td></tr>`)}</tbody></table>`}
</section>`;
}

function dryRun(data: DashboardData, view: DryRunView | undefined): Html {
	const input = view ?? { product: data.selected?.product ?? data.product ?? '', version: data.selected?.version ?? '', policy: data.selected?.policy ?? '' };
	let result = html``;
	if (view?.error) result = html`<p class="alert" id="dry-run-error">${view.error}</p>`;
	else if (view?.answer) {
		const a = view.answer;
		result = html`<div id="dry-run-result"><p><strong>${a.matched}</strong> of ${a.total} known ${a.product} devices not on ${a.version} would be offered it${a.policy ? html` under <code>${a.policy}</code>` : ''} (before percentage, limit and rate).</p>
${a.devices.length ? html`<p class="muted">${a.devices.slice(0, DRY_RUN_SHOWN).map((d) => `${d.id} (${d.version})`).join(', ')}${a.matched > DRY_RUN_SHOWN ? ', …' : ''}</p>` : ''}</div>`;
	}
	return html`<section id="dry-run"><h2>Policy dry run</h2>
<form method="post" action="/dashboard/dry-run">
<label>product <input name="product" value="${input.product}" required></label>
<label>version <input name="version" value="${input.version}" required></label>
<label class="wide">policy <textarea name="policy" rows="2" placeholder="semver(version, &quot;&lt;&quot;, newVersion)">${input.policy}</textarea></label>
<button type="submit">Dry run</button>
</form>
${result}
</section>`;
}

export function renderDashboard(data: DashboardData, options: { dryRun?: DryRunView; refresh?: number } = {}): string {
	const asOf = new Date(data.now).toISOString().slice(11, 19);
	const here = data.selected ? `/dashboard?release=${encodeURIComponent(data.selected.id)}` : '/dashboard';
	const refreshLink = options.refresh
		? html`<a href="${here}">stop refreshing</a>`
		: html`<a href="${here}${data.selected ? '&' : '?'}refresh=5">refresh every 5 s</a>`;
	return page('Updraft cloud', html`<header><h1>Updraft cloud</h1><span class="muted">as of ${asOf} UTC</span>
<nav>${refreshLink} <form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form></nav></header>
<main>
${data.notice ? html`<p class="alert" id="notice">${data.notice}</p>` : ''}
<section id="releases"><h2>Releases</h2>${releasesTable(data)}</section>
${rollout(data)}
<div class="columns">${versions(data)}${reports(data)}</div>
${dryRun(data, options.dryRun)}
</main>`, options.refresh);
}

export function renderLogin(message?: string): string {
	return page('Updraft cloud: sign in', html`<header><h1>Updraft cloud</h1></header>
<main><section id="login"><h2>Sign in</h2>
<p>The dashboard takes the cloud's admin token (printed by <code>updraft cloud</code> at start).</p>
${message ? html`<p class="alert" id="login-error">${message}</p>` : ''}
<form method="post" action="/dashboard/login"><label>admin token <input name="token" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form></section></main>`);
}

function page(title: string, body: Html, refresh?: number): string {
	return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh ? html`<meta http-equiv="refresh" content="${refresh}">` : ''}
<link rel="stylesheet" href="/dashboard/style.css"></head>
<body>${body}</body></html>
`.text;
}
