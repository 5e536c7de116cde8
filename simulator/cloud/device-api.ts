/*
 * The administrators' device API: the devices the cloud has seen (from their latest check-in),
 * per-device tokens, and the update reports.
 */
import type { DeviceRegistry } from './device-registry';
import { badRequest, notFound } from './errors';
import { validateProduct } from './release-fields';
import { single } from './release-api';
import type { DeviceRecord, StoredReport } from './store/records';
import type { CloudStore } from './store/store';
import type { DeviceTokens } from './tokens';

const DEVICE_ID = /^[^\x00-\x1f\x7f]{1,128}$/;
const MAX_REPORTS = 10_000;

export function checkDeviceId(id: string): string {
	if (!DEVICE_ID.test(id)) throw badRequest('a device id is 1 to 128 characters without control characters');
	return id;
}

/** GET /api/devices[?product=P] */
export async function listDevices(query: URLSearchParams, devices: DeviceRegistry): Promise<{ devices: DeviceRecord[] }> {
	const product = single(query, 'product', false);
	if (product !== undefined) validateProduct(product);
	return { devices: await devices.list(product) };
}

/** GET /api/devices/<id> */
export async function getDevice(id: string, devices: DeviceRegistry): Promise<DeviceRecord> {
	const device = await devices.get(checkDeviceId(id));
	if (!device) throw notFound(`no device with id ${JSON.stringify(id)} has checked in`);
	return device;
}

/** POST /api/devices/<id>/token: a new token for the device (replacing its previous one). */
export async function createDeviceToken(id: string, tokens: DeviceTokens): Promise<{ id: string; token: string }> {
	return { id, token: await tokens.create(checkDeviceId(id)) };
}

/** DELETE /api/devices/<id>/token */
export async function revokeDeviceToken(id: string, tokens: DeviceTokens): Promise<{ revoked: string }> {
	if (!(await tokens.revoke(checkDeviceId(id)))) throw notFound(`device ${JSON.stringify(id)} has no token`);
	return { revoked: id };
}

/** GET /api/reports[?release=ID][&device=ID][&limit=N]: newest first. */
export async function listReports(query: URLSearchParams, store: CloudStore): Promise<{ reports: StoredReport[] }> {
	const release = single(query, 'release', false);
	const device = single(query, 'device', false);
	const limitText = single(query, 'limit', false) ?? '100';
	const limit = /^\d{1,6}$/.test(limitText) ? Number(limitText) : NaN;
	if (!(limit >= 1 && limit <= MAX_REPORTS)) throw badRequest(`limit must be a whole number from 1 to ${MAX_REPORTS} (got ${JSON.stringify(limitText)})`);
	return { reports: await store.listReports({ release, device, limit }) };
}
