/*
 * A hosts file for the fleet's network: names dialled by the devices are replaced by addresses
 * before connecting (localhost → 127.0.0.1), so ten thousand devices do not each ask the
 * resolver. The certificate is then checked against the address, which the cloud's certificate
 * names too.
 */
import type { NetworkPort } from '../../modules/ports';

export function aliasHosts(network: NetworkPort, aliases: Readonly<Record<string, string>>): NetworkPort {
	return {
		connect(options) {
			const address = Object.hasOwn(aliases, options.host) ? aliases[options.host]! : undefined;
			return network.connect(address === undefined ? options : { ...options, host: address });
		},
	};
}
