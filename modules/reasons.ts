/*
 * Reason codes for update outcomes: the one documented list the agent reports to the cloud
 * (updateReport `reason`), prints in results, and that tests assert. Stable strings: a fleet
 * operator's dashboards and alerts key on them.
 */
export const Reason = {
	/** The downloaded image's SHA-256 differs from the release checksum. */
	INTEGRITY_CHECK_FAILURE: 'INTEGRITY_CHECK_FAILURE',
	/** The image is larger than the inactive slot. */
	NOT_ENOUGH_SPACE: 'NOT_ENOUGH_SPACE',
	/** The connection failed or broke during the check-in or the download. */
	CONNECTION_LOST: 'CONNECTION_LOST',
	/** The cloud answered the check-in with an error status. */
	CHECKIN_REFUSED: 'CHECKIN_REFUSED',
	/** The cloud's answer or the image response broke the protocol (bad JSON, wrong length...). */
	BAD_RESPONSE: 'BAD_RESPONSE',
	/** timeouts.download passed before the image was complete. */
	TIMEOUT: 'TIMEOUT',
	/** The image server answered with an error status. */
	DOWNLOAD_FAILED: 'DOWNLOAD_FAILED',
	/** The release is not newer than the running firmware. */
	DOWNGRADE_REFUSED: 'DOWNGRADE_REFUSED',
	/** The slot could not be written or switched. */
	FLASH_ERROR: 'FLASH_ERROR',
	/** The new firmware's self-test failed (or did not confirm in time): rolled back. */
	SELF_TEST_FAILED: 'SELF_TEST_FAILED',
	/** The new firmware did not survive its trial boot (crash, reset or power cut before it
	 * confirmed, or an image the bootloader would not start): the previous firmware runs again. */
	ROLLED_BACK: 'ROLLED_BACK',
	/** The application asked to go back to the previous firmware. */
	APP_ROLLBACK: 'APP_ROLLBACK',
	/** A device:update watcher refused the release. */
	VETOED: 'VETOED',
	/** The release failed or was vetoed on this device before; it is not taken again. */
	RELEASE_BLOCKED: 'RELEASE_BLOCKED',
	/** A power cut or crash interrupted the update before activation; nothing was switched. */
	INTERRUPTED: 'INTERRUPTED',
	/** The agent crashed (an exception escaped, memory ran out) and the device reset. */
	AGENT_CRASHED: 'AGENT_CRASHED',
	/** Signatures are required and the release has none. */
	SIGNATURE_MISSING: 'SIGNATURE_MISSING',
	/** No signature of the release is by a key this device trusts. */
	SIGNATURE_UNKNOWN_KEY: 'SIGNATURE_UNKNOWN_KEY',
	/** Signatures by trusted keys do not verify, or too few do (altered manifest or signature). */
	SIGNATURE_INVALID: 'SIGNATURE_INVALID',
	/** The signed manifest is malformed, or the cloud's answer disagrees with it. */
	MANIFEST_TAMPERED: 'MANIFEST_TAMPERED',
	/** The signed manifest's expiry has passed (a frozen or replayed release). */
	MANIFEST_EXPIRED: 'MANIFEST_EXPIRED',
	/** The signed manifest is for another product or version (mix-and-match). */
	MANIFEST_MISMATCH: 'MANIFEST_MISMATCH',
	/** The downloaded image's size or hash differs from the signed manifest. */
	IMAGE_TAMPERED: 'IMAGE_TAMPERED',
	/** The agent's configuration is missing or wrong. */
	CONFIG_ERROR: 'CONFIG_ERROR',
} as const;

export type ReasonCode = (typeof Reason)[keyof typeof Reason];

/** An error that carries the reason code the update outcome will report. */
export class UpdateError extends Error {
	readonly reason: ReasonCode;
	constructor(reason: ReasonCode, message: string) {
		super(message);
		this.name = 'UpdateError';
		this.reason = reason;
	}
}
