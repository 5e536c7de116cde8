/*
 * Publishing a signed release: the image goes up disabled, the manifest is made for the id the
 * cloud gave it and signed here, with keys that never leave the publisher, the signatures are
 * attached, and only then is the release enabled. No device is offered it unsigned.
 */
import { createHash } from 'node:crypto';
import { createRelease, deleteRelease, signRelease, updateRelease, type CreateReleaseOptions, type ReleaseInfo } from '../cloud/admin-client';
import { manifestText, signManifest, type SigningKey } from './release-signing';

export const DEFAULT_MANIFEST_LIFETIME = 90 * 86_400_000;

export interface SignedReleaseOptions extends CreateReleaseOptions {
	keys: SigningKey[];
	/** How long devices may take the release, ms; the manifest expires then (default 90 days). */
	lifetime?: number;
}

export async function publishSignedRelease(options: SignedReleaseOptions): Promise<ReleaseInfo> {
	if (options.keys.length === 0) throw new Error('signing needs at least one key');
	const enable = options.enable ?? true;
	const release = await createRelease({ ...options, enable: false });
	try {
		const manifest = manifestText({
			product: release.product,
			version: release.version,
			release: release.id,
			size: options.image.length,
			sha256: createHash('sha256').update(options.image).digest('hex'),
			expires: Math.floor((Date.now() + (options.lifetime ?? DEFAULT_MANIFEST_LIFETIME)) / 1000),
		});
		const signatures = options.keys.map((key) => signManifest(manifest, key));
		const signed = await signRelease({ ...options, id: release.id, manifest, signatures });
		return enable ? await updateRelease({ ...options, id: release.id, changes: { enable: true } }) : signed;
	} catch (error) {
		// Leave nothing half-published behind.
		await deleteRelease({ ...options, id: release.id }).catch(() => {});
		throw error;
	}
}
