/*
 * HTML built from template literals with every interpolated value escaped, unless it is markup
 * built the same way. Device ids, policies, descriptions and reasons all come from outside the
 * cloud, so nothing reaches a page unescaped by accident.
 */

/** Markup that is already safe to emit. */
export class Html {
	readonly text: string;
	constructor(text: string) {
		this.text = text;
	}
	toString(): string {
		return this.text;
	}
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
	return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function piece(value: unknown): string {
	if (value instanceof Html) return value.text;
	if (Array.isArray(value)) return value.map(piece).join('');
	if (value === undefined || value === null || value === false) return '';
	return escapeHtml(value);
}

/** Tagged template: html`<td>${text}</td>` escapes `text`; Html values and arrays of them pass. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
	let out = strings[0]!;
	for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1]!;
	return new Html(out);
}
