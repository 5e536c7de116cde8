/* A simulated device's flash in memory, for the flash tests: small sectors keep sweeps fast. */
import { createFlashRegions, formatMemoryFlash, type FlashLayout, type FlashMedia, type FlashRegions } from '../../hosts/sim/flash/layout';
import type { FaultInjector } from '../../hosts/sim/flash/faults';
import { makeImage, validateImage } from '../../simulator/image';

export const PRODUCT = 'flash-test';
export const LAYOUT: FlashLayout = { sectorSize: 1024, slotSize: 16 * 1024 };

export const image = (version: string, size = 5000) => makeImage({ product: PRODUCT, version }, size);

export { validateImage };

export interface MemoryDevice {
	media: FlashMedia;
	/** The flash as seen after a power-on; `faults` sees every erase and write from then on. */
	power(faults?: FaultInjector): FlashRegions;
}

export function memoryDevice(factoryVersion = '1.0.0', layout = LAYOUT): MemoryDevice {
	const media = formatMemoryFlash(layout, image(factoryVersion));
	return { media, power: (faults) => createFlashRegions(media, layout, faults) };
}
