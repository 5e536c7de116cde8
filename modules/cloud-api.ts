/*
 * The agent's calls to the device cloud: the check-in and the update report, with retries.
 *
 * Transport failures and 5xx/429 answers are retried with jittered exponential backoff, up to the
 * configured attempts; any other 4xx is final for this cycle, so a device the cloud refuses
 * waits for its next scheduled check instead of joining a retry storm.
 */
import type { Ports } from './ports';
import type { AgentSettings } from './settings';
import { ConnectionPool } from './http/connection-pool';
import { httpRequest, HttpError, type HttpResponse } from './http/client';
import { checkinBody, parseCheckinAnswer, CheckinError, type CheckinAnswer } from './checkin';
import { utf8Encode } from './bytes';
import { backoffDelay } from './backoff';
import { sleep } from './sleep';
import { Reason, UpdateError } from './reasons';
import { AGENT_VERSION } from './version';

const TRANSPORT = ['CONNECT_FAILED', 'TLS', 'TIMEOUT', 'IDLE_TIMEOUT', 'CONNECTION_CLOSED', 'TRUNCATED_BODY'];

/** True for failures of the connection itself, which a later attempt may not meet. */
export function isTransportError(error: unknown): boolean {
	return error instanceof HttpError && TRANSPORT.includes(error.code);
}

/**
 * Retryable: transport failures, responses that broke the protocol (a proxy's garbage may not
 * repeat), and server answers that say "later".
 */
function retryable(error: unknown): boolean {
	if (error instanceof HttpError) return true;
	if (error instanceof UpdateError) return error.reason === Reason.CONNECTION_LOST;
	return error instanceof StatusError && (error.status >= 500 || error.status === 429);
}

export class StatusError extends Error {
	readonly status: number;
	constructor(status: number, message: string) {
		super(message);
		this.name = 'StatusError';
		this.status = status;
	}
}

export class CloudApi {
	#ports: Ports;
	#settings: AgentSettings;
	#random: () => number;
	/** Connections kept between the requests of one agent step (closeConnections ends them). */
	#pool: ConnectionPool;

	constructor(ports: Ports, settings: AgentSettings, random: () => number) {
		this.#ports = ports;
		this.#settings = settings;
		this.#random = random;
		this.#pool = new ConnectionPool(ports.clock);
	}

	/** Close the connections kept for reuse; the agent does this at the end of every step. */
	closeConnections(): void {
		this.#pool.close();
	}

	/** Issue one HTTP request; GETs of images carry no token (an image host may be a CDN). */
	request(url: string, method: string, options: { body?: Uint8Array; headers?: Record<string, string>; timeout: number }): Promise<HttpResponse> {
		const headers: Record<string, string> = { ...options.headers };
		if (method !== 'GET') headers.Authorization = `bearer ${this.#settings.provision.token}`;
		if (options.body) headers['Content-Type'] = 'application/json';
		return httpRequest(this.#ports.network, this.#ports.clock, {
			url,
			method,
			headers,
			body: options.body,
			timeout: options.timeout,
			idleTimeout: this.#settings.timeouts.idle,
			readSize: this.#settings.chunkSize,
			pool: this.#pool,
		});
	}

	/** Run `attempt` until it succeeds, fails for good, or runs out of attempts. */
	async retrying<T>(attempt: () => Promise<T>, attempts = this.#settings.attempts): Promise<T> {
		for (let n = 1; ; n++) {
			try {
				return await attempt();
			} catch (error) {
				if (n >= attempts || !retryable(error)) throw error;
				await sleep(this.#ports.clock, backoffDelay(n, this.#random, this.#settings.backoff));
			}
		}
	}

	async #post(path: string, text: string): Promise<{ status: number; json?: unknown; text?: string }> {
		const response = await this.request(`${this.#settings.provision.api}${path}`, 'POST', { body: utf8Encode(text), timeout: this.#settings.timeouts.api });
		try {
			if (response.status < 200 || response.status > 299) {
				const detail = await response.text(2048).catch(() => '');
				throw new StatusError(response.status, `${path} answered ${response.status}${detail ? `: ${detail.slice(0, 200)}` : ''}`);
			}
			return { status: response.status, json: await response.json() };
		} finally {
			response.close();
		}
	}

	/** The Ioto check-in. Throws UpdateError with the reason the outcome will carry. */
	async checkin(running: string, attempts?: number): Promise<CheckinAnswer> {
		const body = checkinBody(this.#settings.device, running, AGENT_VERSION);
		try {
			const answer = await this.retrying(() => this.#post('/tok/provision/update', body), attempts);
			return parseCheckinAnswer(answer.json);
		} catch (error) {
			throw asUpdateError(error, Reason.CHECKIN_REFUSED);
		}
	}

	/** Post one update report; true when the cloud took it or refused it for good. */
	async report(report: object): Promise<boolean> {
		try {
			await this.#post('/tok/provision/updateReport', JSON.stringify(report));
			return true;
		} catch (error) {
			// A 4xx report will never be taken: dropping it beats resending it forever.
			return error instanceof StatusError && error.status >= 400 && error.status < 500 && error.status !== 429;
		}
	}
}

/** Map any failure of a cloud exchange to the reason code an outcome reports. */
export function asUpdateError(error: unknown, statusReason: UpdateError['reason']): UpdateError {
	if (error instanceof UpdateError) return error;
	if (error instanceof StatusError) return new UpdateError(statusReason, error.message);
	if (isTransportError(error)) return new UpdateError(Reason.CONNECTION_LOST, (error as Error).message);
	if (error instanceof CheckinError || error instanceof HttpError) return new UpdateError(Reason.BAD_RESPONSE, error.message);
	return new UpdateError(Reason.BAD_RESPONSE, error instanceof Error ? error.message : String(error));
}
