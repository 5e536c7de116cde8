/* `updraft release ...`: publish and manage releases through the cloud's admin API. Prints JSON. */
import * as fs from 'node:fs';
import {
	createRelease, deleteRelease, disableRelease, dryRun, enableRelease, getRelease, listReleases, updateRelease,
} from '../cloud/admin-client';
import type { ReleaseSettings } from '../cloud/release-fields';
import { parse, required, UsageError } from './args';
import { publishSignedRelease } from '../signing/publish';
import { loadSigningKey } from '../signing/release-signing';
import { durationMs } from '../../modules/schedule/duration';

export const releaseUsage = `updraft release create --product P --version V --image FILE [--description TEXT] [--policy EXPR]
                       [--limit N] [--percentage P] [--rate N --period SECONDS] [--disabled] [--downgrade]
                       [--sign KEY_FILE]... [--expires DURATION]
updraft release list [--product P]
updraft release show --id ID
updraft release update --id ID [--description TEXT] [--policy EXPR] [--limit N|none] [--percentage P|none]
                       [--rate N|none] [--period SECONDS|none]
updraft release enable|disable|delete --id ID
updraft release dry-run (--product P --version V | --id ID) [--policy EXPR]
  Every command also takes --cloud URL --ca FILE [--token ADMIN_TOKEN]; the admin token comes
  from --token or the UPDRAFT_ADMIN_TOKEN environment variable. A blank policy means
  semver(version, "<", newVersion); see docs/policies.md. --sign signs the release with a key from
  updraft keys create (the private key stays here; the release is enabled only once signed);
  --expires is how long devices may take it (default 90 days). --downgrade marks an older version
  published on purpose, which devices otherwise refuse.`;

const common = {
	cloud: { type: 'string' },
	ca: { type: 'string' },
	token: { type: 'string' },
} as const;

const limits = {
	description: { type: 'string' },
	policy: { type: 'string' },
	limit: { type: 'string' },
	percentage: { type: 'string' },
	rate: { type: 'string' },
	period: { type: 'string' },
} as const;

function connection(values: { cloud?: string; ca?: string; token?: string }) {
	required(values, 'cloud', 'ca');
	const token = values.token ?? process.env.UPDRAFT_ADMIN_TOKEN;
	if (!token) throw new UsageError('missing the admin token: --token or UPDRAFT_ADMIN_TOKEN');
	return { cloud: values.cloud!, caPem: fs.readFileSync(values.ca!, 'utf8'), token };
}

/** A number option; "none" clears the limit when `clearable`. The cloud checks the ranges. */
function number(value: string | undefined, name: string, clearable: boolean): number | null | undefined {
	if (value === undefined) return undefined;
	if (clearable && value === 'none') return null;
	const n = Number(value);
	if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number${clearable ? ' or none' : ''}: "${value}"`);
	return n;
}

function settings(values: Partial<Record<keyof typeof limits, string>>, clearable: boolean): Partial<ReleaseSettings> {
	const out: Partial<ReleaseSettings> = {};
	if (values.description !== undefined) out.description = values.description;
	if (values.policy !== undefined) out.policy = values.policy;
	for (const name of ['limit', 'percentage', 'rate', 'period'] as const) {
		const n = number(values[name], name, clearable);
		if (n !== undefined) out[name] = n;
	}
	return out;
}

function print(value: unknown): number {
	process.stdout.write(`${JSON.stringify(value)}\n`);
	return 0;
}

export async function releaseCommand(argv: string[]): Promise<number> {
	const [verb, ...rest] = argv;
	switch (verb) {
		case 'create': {
			const values = parse(rest, {
				...common, ...limits, product: { type: 'string' }, version: { type: 'string' }, image: { type: 'string' }, disabled: { type: 'boolean' },
				downgrade: { type: 'boolean' }, sign: { type: 'string', multiple: true }, expires: { type: 'string' },
			});
			required(values, 'product', 'version', 'image');
			const options = {
				...connection(values),
				...settings(values, false),
				product: values.product!,
				version: values.version!,
				enable: values.disabled ? false : undefined,
				downgrade: values.downgrade ? true : undefined,
				image: fs.readFileSync(values.image!),
			};
			if (!values.sign?.length) {
				if (values.expires !== undefined) throw new UsageError('--expires goes with --sign');
				return print(await createRelease(options));
			}
			let lifetime: number | undefined;
			try {
				lifetime = values.expires === undefined ? undefined : durationMs(values.expires, '--expires');
			} catch (error) {
				throw new UsageError((error as Error).message);
			}
			return print(await publishSignedRelease({ ...options, keys: values.sign.map(loadSigningKey), lifetime }));
		}
		case 'list': {
			const values = parse(rest, { ...common, product: { type: 'string' } });
			return print(await listReleases({ ...connection(values), product: values.product }));
		}
		case 'show':
		case 'enable':
		case 'disable':
		case 'delete': {
			const values = parse(rest, { ...common, id: { type: 'string' } });
			required(values, 'id');
			const options = { ...connection(values), id: values.id! };
			const run = { show: getRelease, enable: enableRelease, disable: disableRelease, delete: deleteRelease }[verb];
			return print(await run(options));
		}
		case 'update': {
			const values = parse(rest, { ...common, ...limits, id: { type: 'string' } });
			required(values, 'id');
			const changes = settings(values, true);
			if (Object.keys(changes).length === 0) throw new UsageError('update needs something to change (--description, --policy, --limit, ...)');
			return print(await updateRelease({ ...connection(values), id: values.id!, changes }));
		}
		case 'dry-run': {
			const values = parse(rest, { ...common, id: { type: 'string' }, product: { type: 'string' }, version: { type: 'string' }, policy: { type: 'string' } });
			if (values.id === undefined) required(values, 'product', 'version');
			return print(await dryRun({ ...connection(values), release: values.id, product: values.product, version: values.version, policy: values.policy }));
		}
		default:
			throw new UsageError(verb ? `unknown release command "${verb}"` : 'release needs a command');
	}
}
