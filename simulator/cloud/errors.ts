/*
 * The one error type of the device cloud. It carries the HTTP status the server answers with and
 * a short machine-readable code, so that the store, the routes and the admin client agree on what
 * went wrong without parsing messages.
 */

export class CloudError extends Error {
	/** HTTP status to answer with (4xx for bad input, 5xx only for faults of the cloud itself). */
	readonly status: number;
	/** Stable code, e.g. 'bad-request', 'duplicate-version', 'unauthorized'. */
	readonly code: string;
	/** Extra response headers the answer needs (Allow for 405, WWW-Authenticate for 401). */
	readonly headers: Readonly<Record<string, string>>;
	/** Extra fields of the JSON error answer, e.g. the column of a policy syntax error. */
	readonly details: Readonly<Record<string, unknown>>;

	constructor(status: number, code: string, message: string, headers: Record<string, string> = {}, details: Record<string, unknown> = {}) {
		super(message);
		this.name = 'CloudError';
		this.status = status;
		this.code = code;
		this.headers = headers;
		this.details = details;
	}
}

export function badRequest(message: string): CloudError {
	return new CloudError(400, 'bad-request', message);
}

export function notFound(message: string): CloudError {
	return new CloudError(404, 'not-found', message);
}

/** A short description of a rejected value, for error messages. */
export function describe(value: unknown): string {
	if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
	if (value === undefined) return 'nothing';
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	if (typeof value === 'object') return 'an object';
	if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
	return `a ${typeof value}`;
}
