/*
 * What the dashboard shows, gathered from the cloud's catalog, device registry and store: every
 * release with its settings and counters, the rollout of one release over time, the versions the
 * known devices of its product run, and the latest update reports.
 */
import { compareSemver } from '../../../modules/semver';
import type { ReleaseCatalog, ReleaseInfo } from '../catalog';
import type { DeviceRegistry } from '../device-registry';
import { validateProduct } from '../release-fields';
import type { StoredReport } from '../store/records';
import type { CloudStore } from '../store/store';
import { rolloutSeries, type ProgressPoint } from './progress';

export interface DashboardSources {
	catalog: ReleaseCatalog;
	devices: DeviceRegistry;
	store: CloudStore;
}

export interface DashboardData {
	/** When the data was gathered (ms). */
	now: number;
	/** Newest first. */
	releases: ReleaseInfo[];
	/** The release whose rollout is drawn. */
	selected: ReleaseInfo | null;
	progress: ProgressPoint[];
	/** Failure reports of the selected release by reason code. */
	failureReasons: Record<string, number>;
	/** The product whose devices are counted: the selected release's, or the one asked for. */
	product: string | null;
	/** Known devices of the product by the version of their latest check-in, highest first. */
	versions: { version: string; devices: number }[];
	devicesKnown: number;
	/** The latest update reports, newest first. */
	reports: StoredReport[];
	/** Something asked for that is not there (a release deleted since the link was made). */
	notice?: string;
}

export const LAST_REPORTS = 20;

export async function gatherDashboard(sources: DashboardSources, ask: { release?: string; product?: string }, now = Date.now()): Promise<DashboardData> {
	const { catalog, devices, store } = sources;
	const releases = catalog.list().map((r) => catalog.info(r)).reverse();
	let notice: string | undefined;
	let selected = ask.release === undefined ? null : releases.find((r) => r.id === ask.release) ?? null;
	if (ask.release !== undefined && !selected) notice = `There is no release with id ${JSON.stringify(ask.release)} (any more).`;
	if (!selected) {
		// The release an operator is most likely watching: the last one changed among the enabled.
		const byUpdate = [...releases].sort((a, b) => b.updated.localeCompare(a.updated));
		selected = byUpdate.find((r) => r.enable) ?? byUpdate[0] ?? null;
	}
	let progress: ProgressPoint[] = [];
	const failureReasons: Record<string, number> = {};
	if (selected) {
		const live = catalog.get(selected.id);
		const reports = await store.listReports({ release: selected.id });
		progress = rolloutSeries({ grants: live ? live.grants.values() : [], reports }, now);
		for (const report of reports) {
			if (report.success) continue;
			const reason = report.reason ?? 'no reason given';
			failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
		}
	}
	let product = selected?.product ?? null;
	if (ask.product !== undefined) {
		try {
			product = validateProduct(ask.product);
		} catch (error) {
			notice = (error as Error).message;
		}
	}
	const counts = new Map<string, number>();
	let devicesKnown = 0;
	if (product !== null) {
		for (const device of await devices.list(product)) {
			counts.set(device.version, (counts.get(device.version) ?? 0) + 1);
			devicesKnown++;
		}
	}
	const versions = [...counts].map(([version, n]) => ({ version, devices: n })).sort((a, b) => newerFirst(a.version, b.version));
	const reports = await store.listReports({ limit: LAST_REPORTS });
	const data: DashboardData = { now, releases, selected, progress, failureReasons, product, versions, devicesKnown, reports };
	if (notice) data.notice = notice;
	return data;
}

function newerFirst(a: string, b: string): number {
	try {
		return compareSemver(b, a);
	} catch {
		return b.localeCompare(a);
	}
}
