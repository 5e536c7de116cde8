/* `updraft release ...`: publish and list releases through the cloud's admin API. */
import * as fs from 'node:fs';
import { createRelease, listReleases } from '../cloud/admin-client';
import { parse, required, UsageError } from './args';

export const releaseUsage = `updraft release create --cloud URL --ca FILE --product P --version V --image FILE
                       [--description TEXT] [--token ADMIN_TOKEN]
updraft release list --cloud URL --ca FILE [--product P] [--token ADMIN_TOKEN]
  The admin token comes from --token or the UPDRAFT_ADMIN_TOKEN environment variable.`;

const common = {
	cloud: { type: 'string' },
	ca: { type: 'string' },
	token: { type: 'string' },
	product: { type: 'string' },
} as const;

function connection(values: { cloud?: string; ca?: string; token?: string }) {
	required(values, 'cloud', 'ca');
	const token = values.token ?? process.env.UPDRAFT_ADMIN_TOKEN;
	if (!token) throw new UsageError('missing the admin token: --token or UPDRAFT_ADMIN_TOKEN');
	return { cloud: values.cloud!, caPem: fs.readFileSync(values.ca!, 'utf8'), token };
}

export async function releaseCommand(argv: string[]): Promise<number> {
	const [verb, ...rest] = argv;
	if (verb === 'create') {
		const values = parse(rest, { ...common, version: { type: 'string' }, image: { type: 'string' }, description: { type: 'string' } });
		required(values, 'product', 'version', 'image');
		const release = await createRelease({
			...connection(values),
			product: values.product!,
			version: values.version!,
			description: values.description,
			image: fs.readFileSync(values.image!),
		});
		process.stdout.write(`${JSON.stringify(release)}\n`);
		return 0;
	}
	if (verb === 'list') {
		const values = parse(rest, common);
		const releases = await listReleases({ ...connection(values), product: values.product });
		process.stdout.write(`${JSON.stringify(releases)}\n`);
		return 0;
	}
	throw new UsageError(verb ? `unknown release command "${verb}"` : 'release needs a command');
}
