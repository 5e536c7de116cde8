/*
 * What the application said about a verified release through its device:update watchers.
 * A watcher returns nothing (accept), 'accept', 'defer', 'veto', or an object
 * {action: 'accept' | 'defer' | 'veto', reason?, until?}. Any veto wins; then any defer (the
 * earliest `until` given); otherwise the release is accepted. A watcher that threw counts as a
 * veto: an application that cannot judge the release should not have it forced on it.
 */
export type Verdict =
	| { action: 'accept' }
	| { action: 'defer'; until?: number; reason?: string }
	| { action: 'veto'; reason?: string };

export function verdictOf(results: unknown[]): Verdict {
	let defer: { until?: number; reason?: string } | undefined;
	for (const r of results) {
		if (r instanceof Error) return { action: 'veto', reason: `a device:update watcher threw: ${r.message}` };
		const action = typeof r === 'string' ? r : r && typeof r === 'object' ? (r as { action?: unknown }).action : undefined;
		const reason = r && typeof r === 'object' && typeof (r as { reason?: unknown }).reason === 'string' ? (r as { reason: string }).reason : undefined;
		if (action === 'veto') return reason ? { action, reason } : { action };
		if (action === 'defer') {
			const until = r && typeof r === 'object' ? (r as { until?: unknown }).until : undefined;
			defer ??= {};
			if (typeof until === 'number' && (defer.until === undefined || until < defer.until)) defer.until = until;
			if (reason && !defer.reason) defer.reason = reason;
		}
	}
	return defer ? { action: 'defer', ...defer } : { action: 'accept' };
}
