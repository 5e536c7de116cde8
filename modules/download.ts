/*
 * Streams a release image into the inactive slot while hashing it, and resumes instead of
 * starting over whenever it can.
 *
 * - A journal in the store records the release, the ETag and the bytes safely written, after
 *   every chunk. After a restart the download resumes at the last erase-unit boundary below that
 *   count: the bytes kept are read back from the slot to rebuild the hash (so the final check
 *   covers what the flash really holds, torn writes included), then the rest is asked for with
 *   `Range: bytes=N-` and `If-Range: <ETag>`.
 * - Within one run a broken connection resumes at the exact byte written, with the hash carried on.
 * - Only an exact 206 (Content-Range starting where we asked, same ETag) continues; a 200 means the
 *   server sent the whole image, which is written from byte 0 (never at the resume offset: writing a
 *   full body there corrupts the image); a 416 or a changed release starts over cleanly.
 * - The declared length is checked against the slot before the first erase, and a body longer
 *   than declared is refused.
 * Memory: one chunk at a time (settings.chunkSize), whatever the image size.
 */
import type { Ports, SlotWriter, Digest } from './ports';
import type { ReleaseOffer } from './checkin';
import type { AgentSettings } from './settings';
import type { EventBus } from './events';
import type { HttpResponse } from './http/client';
import { CloudApi, StatusError, asUpdateError } from './cloud-api';
import { toHex } from './bytes';
import { sleep } from './sleep';
import { Reason, UpdateError } from './reasons';

export const JOURNAL_KEY = 'journal';

export interface Journal {
	update: string;
	checksum: string;
	size: number;
	etag?: string;
	written: number;
	eraseSize: number;
}

export interface Downloaded {
	writer: SlotWriter;
	/** SHA-256 of the slot's image, lowercase hex. */
	digest: string;
	size: number;
}

interface Progress {
	writer?: SlotWriter;
	digest?: Digest;
	written: number;
	size?: number;
	etag?: string;
}

export function readJournal(ports: Ports): Journal | undefined {
	try {
		const j = JSON.parse(ports.store.get(JOURNAL_KEY) ?? 'null') as Journal | null;
		if (j && typeof j.update === 'string' && Number.isSafeInteger(j.written) && Number.isSafeInteger(j.size) && j.eraseSize > 0) return j;
	} catch {
		// an unreadable journal is no journal: the download starts at 0
	}
	return undefined;
}

export function clearJournal(ports: Ports): void {
	if (ports.store.get(JOURNAL_KEY) !== undefined) ports.store.delete(JOURNAL_KEY);
}

/** Parse a Content-Range of the form `bytes a-b/total`. */
function contentRange(header: string | undefined): { start: number; end: number; total: number } | undefined {
	const m = header && /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
	return m ? { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) } : undefined;
}

export class Downloader {
	#ports: Ports;
	#settings: AgentSettings;
	#api: CloudApi;
	#events: EventBus;

	constructor(ports: Ports, settings: AgentSettings, api: CloudApi, events: EventBus) {
		this.#ports = ports;
		this.#settings = settings;
		this.#api = api;
		this.#events = events;
	}

	async download(offer: ReleaseOffer): Promise<Downloaded> {
		const { clock } = this.#ports;
		const deadline = clock.now() + this.#settings.timeouts.download;
		const progress: Progress = { written: 0 };
		const journal = readJournal(this.#ports);
		if (journal && (journal.update !== offer.update || journal.checksum !== offer.checksum)) clearJournal(this.#ports);
		else if (journal && journal.written > 0) this.#reopen(offer, progress, journal);
		try {
			await this.#api.retrying(() => {
				if (clock.now() > deadline) throw new UpdateError(Reason.TIMEOUT, 'timeouts.download passed before the image was complete');
				return this.#attempt(offer, progress, deadline);
			});
			const writer = progress.writer as SlotWriter;
			return { writer, digest: toHex((progress.digest as Digest).close()), size: progress.written };
		} catch (error) {
			progress.writer?.close();
			throw asUpdateError(error, Reason.DOWNLOAD_FAILED);
		}
	}

	/** After a restart: keep what the journal says is written, rehashing it from the slot. */
	#reopen(offer: ReleaseOffer, progress: Progress, journal: Journal): void {
		const keep = Math.floor(Math.min(journal.written, journal.size) / journal.eraseSize) * journal.eraseSize;
		if (keep === 0) return;
		const writer = this.#open(journal.size, keep);
		const digest = this.#ports.digest.create('SHA256');
		for (let at = 0; at < keep; at += this.#settings.chunkSize) {
			digest.write(writer.read(at, Math.min(this.#settings.chunkSize, keep - at)));
		}
		Object.assign(progress, { writer, digest, written: keep, size: journal.size, etag: journal.etag });
		this.#log(`resuming ${offer.version} at byte ${keep} of ${journal.size}`);
	}

	#open(size: number, keep: number): SlotWriter {
		try {
			return this.#ports.flash.openInactive(size, keep);
		} catch (error) {
			const reason = error instanceof RangeError ? Reason.NOT_ENOUGH_SPACE : Reason.FLASH_ERROR;
			throw new UpdateError(reason, `cannot open the inactive slot for ${size} bytes: ${error instanceof Error ? error.message : String(error)}`);
		}
	}

	/** Forget partial progress; the next bytes written start the image again at 0. */
	#restart(progress: Progress, why: string): void {
		this.#log(`download starts over: ${why}`);
		progress.writer?.close();
		Object.assign(progress, { writer: undefined, digest: undefined, written: 0, size: undefined, etag: undefined });
		clearJournal(this.#ports);
	}

	async #attempt(offer: ReleaseOffer, progress: Progress, deadline: number): Promise<void> {
		// Every byte is already written (the connection failed after the last one): nothing to
		// fetch; the hash check that follows decides whether the image is good.
		if (progress.writer && progress.written === progress.size) return;
		const headers: Record<string, string> = {};
		if (progress.written > 0) {
			headers.Range = `bytes=${progress.written}-`;
			if (progress.etag) headers['If-Range'] = progress.etag;
		}
		const response = await this.#api.request(offer.url, 'GET', { headers, timeout: Math.min(this.#settings.timeouts.api, Math.max(1, deadline - this.#ports.clock.now())) });
		try {
			const size = this.#accept(response, offer, progress);
			if (!progress.writer) {
				progress.writer = this.#open(size, 0);
				progress.digest = this.#ports.digest.create('SHA256');
				progress.size = size;
			}
			await this.#stream(response, offer, progress, deadline);
		} finally {
			response.close();
		}
	}

	/** Decide what the answer means for the bytes we hold; returns the image size. */
	#accept(response: HttpResponse, offer: ReleaseOffer, progress: Progress): number {
		const { status, headers } = response;
		const etag = headers.etag;
		if (status === 206 && progress.written > 0) {
			const range = contentRange(headers['content-range']);
			if (range && range.start === progress.written && range.end === range.total - 1 && range.total === progress.size && (!progress.etag || etag === progress.etag)) {
				return range.total;
			}
			this.#restart(progress, `unexpected 206 (${headers['content-range'] ?? 'no Content-Range'}, ETag ${etag ?? 'none'})`);
			throw new StatusError(503, 'partial content did not continue the image; retrying from byte 0');
		}
		if (status === 416) {
			this.#restart(progress, 'range not satisfiable');
			throw new StatusError(503, 'range not satisfiable; retrying from byte 0');
		}
		if (status !== 200) throw new StatusError(status, `image download answered ${status}`);
		if (progress.written > 0) this.#restart(progress, 'the server sent the whole image');
		const length = headers['content-length'] === undefined ? offer.size : Number(headers['content-length']);
		if (length === undefined || !Number.isSafeInteger(length)) throw new UpdateError(Reason.BAD_RESPONSE, 'image length unknown (no Content-Length, no size)');
		if (offer.size !== undefined && length !== offer.size) {
			throw new UpdateError(Reason.BAD_RESPONSE, `image is ${length} bytes, the release says ${offer.size}`);
		}
		if (length === 0) throw new UpdateError(Reason.BAD_RESPONSE, 'image is empty');
		progress.etag = etag;
		return length;
	}

	async #stream(response: HttpResponse, offer: ReleaseOffer, progress: Progress, deadline: number): Promise<void> {
		const writer = progress.writer as SlotWriter;
		const digest = progress.digest as Digest;
		const size = progress.size as number;
		const { store, clock } = this.#ports;
		// The download deadline is a timer that ends the response rather than a clock reading per
		// chunk: it also cuts a read that is waiting, and costs nothing while bytes flow.
		let expired = false;
		const timer = clock.setTimer(() => {
			expired = true;
			response.close();
		}, Math.max(0, deadline - clock.now()));
		// The journal's fixed part is serialised once; per chunk only the count is appended.
		const fixed: Omit<Journal, 'written'> = { update: offer.update, checksum: offer.checksum, size, eraseSize: writer.eraseSize };
		if (progress.etag) fixed.etag = progress.etag;
		const journalHead = `${JSON.stringify(fixed).slice(0, -1)},"written":`;
		try {
			for (let chunk = await response.read(); chunk; chunk = await response.read()) {
				if (progress.written + chunk.byteLength > size) {
					throw new UpdateError(Reason.BAD_RESPONSE, `image is longer than the declared ${size} bytes`);
				}
				try {
					writer.write(chunk, progress.written);
				} catch (error) {
					throw new UpdateError(Reason.FLASH_ERROR, `write at ${progress.written} failed: ${error instanceof Error ? error.message : String(error)}`);
				}
				digest.write(chunk);
				progress.written += chunk.byteLength;
				store.set(JOURNAL_KEY, `${journalHead}${progress.written}}`);
				this.#events.signalSync('update:progress', { version: offer.version, received: progress.written, total: size });
				if (expired) break;
				if (this.#settings.throttle) await sleep(clock, this.#settings.throttle);
			}
		} catch (error) {
			if (!expired) throw error;
		} finally {
			clock.clearTimer(timer);
		}
		if (expired && progress.written !== size) throw new UpdateError(Reason.TIMEOUT, 'timeouts.download passed before the image was complete');
		if (progress.written !== size) {
			throw new UpdateError(Reason.CONNECTION_LOST, `image ended after ${progress.written} of ${size} bytes`);
		}
	}

	#log(message: string): void {
		this.#ports.log?.log('info', message);
	}
}
