/* `updraft image create`: make a simulated firmware image to publish. */
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { makeImage } from '../image';
import { parseSemver } from '../../modules/semver';
import { parse, required, integer, UsageError } from './args';

export const imageUsage = `updraft image create --product P --version V --out FILE [--size BYTES]
  Writes a simulated firmware image (default 64 KiB) and prints {file, size, checksum}.`;

export async function imageCommand(argv: string[]): Promise<number> {
	const [verb, ...rest] = argv;
	if (verb !== 'create') throw new UsageError(verb ? `unknown image command "${verb}"` : 'image needs a command');
	const values = parse(rest, { product: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' }, size: { type: 'string' } });
	required(values, 'product', 'version', 'out');
	if (!parseSemver(values.version)) throw new UsageError(`--version is not SemVer 2.0: "${values.version}"`);
	const image = makeImage({ product: values.product!, version: values.version! }, integer(values.size, 'size', 64));
	fs.writeFileSync(values.out!, image);
	const checksum = createHash('sha256').update(image).digest('hex');
	process.stdout.write(`${JSON.stringify({ file: values.out, size: image.length, checksum })}\n`);
	return 0;
}
