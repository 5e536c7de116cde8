/* `updraft keys create`: a release-signing key pair for publishers. */
import { createSigningKey } from '../signing/release-signing';
import { parse, required, UsageError } from './args';

export const keysUsage = `updraft keys create --out BASE
  Writes BASE.key (the private key, PKCS#8 PEM, mode 0600: keep it off the cloud) and BASE.pub
  (base64 of the raw P-256 public key: list it in the devices' ioto.json5 update.keys), and
  prints {keyid, publicKey, privateKey, publicKeyFile}.`;

export async function keysCommand(argv: string[]): Promise<number> {
	const [verb, ...rest] = argv;
	if (verb !== 'create') throw new UsageError(verb ? `unknown keys command "${verb}"` : 'keys needs a command');
	const values = parse(rest, { out: { type: 'string' } });
	required(values, 'out');
	const key = createSigningKey(values.out!);
	process.stdout.write(`${JSON.stringify({ keyid: key.keyid, publicKey: key.publicKey, privateKey: key.privatePath, publicKeyFile: key.publicPath })}\n`);
	return 0;
}
