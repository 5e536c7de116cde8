/*
 * timeouts.download bounds the whole download: a timer ends it, whether bytes are still
 * trickling in or a read is waiting on a silent server, and the journal keeps what was written.
 */
import test from 'ava';
import { Downloader, readJournal } from '../../modules/download';
import { readSettings } from '../../modules/settings';
import { EventBus } from '../../modules/events';
import type { CloudApi } from '../../modules/cloud-api';
import type { HttpResponse } from '../../modules/http/client';
import type { Ports, SlotWriter } from '../../modules/ports';
import type { ReleaseOffer } from '../../modules/checkin';
import { Reason, UpdateError } from '../../modules/reasons';
import { nodeDigest } from '../../hosts/sim/node-digest';
import { manualClock, memoryStore } from '../helpers/memory-ports';

const SIZE = 3 * 4096;
const offer: ReleaseOffer = { url: 'https://cloud.test/image', checksum: '0'.repeat(64), version: '2.0.0', update: 'u1', size: SIZE };

/** A 200 answer that hands out `pieces` chunks of 4 KiB, then waits until it is closed. */
function stallingResponse(pieces: number): HttpResponse {
	let given = 0;
	let pending: ((error: Error) => void) | undefined;
	let closed = false;
	return {
		status: 200,
		headers: { 'content-length': String(SIZE), etag: '"e1"' },
		read() {
			if (closed) return Promise.reject(new Error('aborted'));
			if (given < pieces) {
				given++;
				return Promise.resolve(new Uint8Array(4096).fill(given));
			}
			if (given * 4096 === SIZE) return Promise.resolve(undefined);
			return new Promise((_, reject) => {
				pending = reject;
			});
		},
		text: () => Promise.reject(new Error('unused')),
		json: () => Promise.reject(new Error('unused')),
		close() {
			closed = true;
			pending?.(new Error('the response was closed while a read() was pending'));
		},
	};
}

function world(pieces: number) {
	const clock = manualClock();
	const store = memoryStore();
	const written: number[] = [];
	const writer: SlotWriter = {
		label: 'test-slot',
		size: SIZE,
		eraseSize: 4096,
		write(bytes, offset) {
			written.push(offset + (bytes as Uint8Array).byteLength);
		},
		read: () => new ArrayBuffer(0),
		activate: () => undefined,
		close() {},
	};
	const ports = {
		clock, store, digest: nodeDigest,
		flash: { openInactive: () => writer },
	} as unknown as Ports;
	// Ioto's timeouts are seconds.
	const settings = readSettings({ provision: { api: 'https://cloud.test', token: 't' }, device: { id: 'd', product: 'p' }, update: { signatures: 'optional' }, timeouts: { download: 60 } });
	const api = {
		request: () => Promise.resolve(stallingResponse(pieces)),
		retrying: <T>(attempt: () => Promise<T>) => attempt(),
	} as unknown as CloudApi;
	return { clock, store, written, downloader: new Downloader(ports, settings, api, new EventBus()) };
}

test('a read waiting on a silent server ends when timeouts.download passes', async (t) => {
	const { clock, store, written, downloader } = world(1);
	const download = downloader.download(offer);
	await new Promise((resolve) => setImmediate(resolve));
	clock.advance(59_999);
	await new Promise((resolve) => setImmediate(resolve));
	t.deepEqual(written, [4096], 'still waiting before the deadline');
	clock.advance(1);
	const error = await t.throwsAsync(download, { instanceOf: UpdateError });
	t.is(error.reason, Reason.TIMEOUT);
	t.regex(error.message, /timeouts\.download/);
	t.is(readJournal({ store } as unknown as Ports)?.written, 4096, 'the journal keeps the chunk that was written');
});

test('the whole image inside the deadline is not a timeout, and leaves no timer behind', async (t) => {
	const { clock, downloader } = world(3);
	const done = await downloader.download(offer);
	t.is(done.size, SIZE);
	t.is(done.digest.length, 64);
	clock.advance(120_000);
	t.pass('nothing fires after the download');
});
