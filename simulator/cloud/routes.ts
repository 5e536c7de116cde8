/* The cloud's endpoints: what each path and method does, and who may call it. */
import type { ReleaseCatalog } from './catalog';
import { createDeviceToken, getDevice, listDevices, listReports, revokeDeviceToken } from './device-api';
import type { DeviceRegistry } from './device-registry';
import { readJson, readJsonObject, sendJson } from './http-body';
import { IMAGE_PATH, serveImage } from './image-download';
import { ImageCache } from './image-cache';
import { checkin, updateReport, type ProvisionContext } from './provision';
import { createReleaseFromRequest, deleteRelease, dryRun, editRelease, getRelease, listReleases, signRelease } from './release-api';
import type { Route } from './router';
import type { ImageFolder } from './store/image-folder';
import type { CloudStore } from './store/store';
import type { DeviceTokens } from './tokens';

export interface RouteContext {
	provision: ProvisionContext;
	catalog: ReleaseCatalog;
	devices: DeviceRegistry;
	deviceTokens: DeviceTokens;
	images: ImageFolder;
	store: CloudStore;
	maxImageBytes: number;
	maxJsonBytes: number;
}

export function createRoutes(c: RouteContext): Route[] {
	const images = new ImageCache();
	const json = (request: Parameters<typeof readJsonObject>[0]) => readJsonObject(request, c.maxJsonBytes);
	return [
		{
			pattern: /^\/tok\/provision\/update$/,
			access: 'device',
			methods: {
				POST: async ({ request, response, device }) => {
					const body = await readJson(request, c.maxJsonBytes);
					sendJson(response, 200, await checkin(body.value, c.provision, device, body.text));
				},
			},
		},
		{
			pattern: /^\/tok\/provision\/updateReport$/,
			access: 'device',
			methods: {
				POST: async ({ request, response, device }) => {
					await updateReport(await json(request), c.provision, device);
					sendJson(response, 200, {});
				},
			},
		},
		{
			pattern: IMAGE_PATH,
			access: 'public',
			methods: {
				GET: ({ request, response, params }) => serveImage(request, response, c.catalog, params[0]!, params[1]!, Date.now(), images),
				HEAD: ({ request, response, params }) => serveImage(request, response, c.catalog, params[0]!, params[1]!, Date.now(), images),
			},
		},
		{
			pattern: /^\/api\/releases$/,
			access: 'admin',
			methods: {
				GET: ({ response, query }) => sendJson(response, 200, listReleases(query, c.catalog)),
				POST: async ({ request, response, query }) => {
					sendJson(response, 201, await createReleaseFromRequest(request, query, c.catalog, c.images, c.maxImageBytes));
				},
			},
		},
		{
			pattern: /^\/api\/releases\/([^/]+)$/,
			access: 'admin',
			methods: {
				GET: ({ response, params }) => sendJson(response, 200, getRelease(params[0]!, c.catalog)),
				PATCH: async ({ request, response, params }) => sendJson(response, 200, await editRelease(params[0]!, await json(request), c.catalog)),
				DELETE: async ({ response, params }) => sendJson(response, 200, await deleteRelease(params[0]!, c.catalog)),
			},
		},
		{
			pattern: /^\/api\/releases\/([^/]+)\/signature$/,
			access: 'admin',
			methods: {
				PUT: async ({ request, response, params }) => sendJson(response, 200, await signRelease(params[0]!, await json(request), c.catalog)),
			},
		},
		{
			pattern: /^\/api\/dry-run$/,
			access: 'admin',
			methods: {
				POST: async ({ request, response }) => sendJson(response, 200, await dryRun(await json(request), c.catalog, c.devices)),
			},
		},
		{
			pattern: /^\/api\/devices$/,
			access: 'admin',
			methods: {
				GET: async ({ response, query }) => sendJson(response, 200, await listDevices(query, c.devices)),
			},
		},
		{
			pattern: /^\/api\/devices\/([^/]+)$/,
			access: 'admin',
			methods: {
				GET: async ({ response, params }) => sendJson(response, 200, await getDevice(params[0]!, c.devices)),
			},
		},
		{
			pattern: /^\/api\/devices\/([^/]+)\/token$/,
			access: 'admin',
			methods: {
				POST: async ({ response, params }) => sendJson(response, 201, await createDeviceToken(params[0]!, c.deviceTokens)),
				DELETE: async ({ response, params }) => sendJson(response, 200, await revokeDeviceToken(params[0]!, c.deviceTokens)),
			},
		},
		{
			pattern: /^\/api\/reports$/,
			access: 'admin',
			methods: {
				GET: async ({ response, query }) => sendJson(response, 200, await listReports(query, c.store)),
			},
		},
	];
}
