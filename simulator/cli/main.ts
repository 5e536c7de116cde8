/* The updraft command line: dispatches to one module per command. */
import { UsageError } from './args';
import { cloudCommand, cloudUsage } from './cloud-command';
import { releaseCommand, releaseUsage } from './release-command';
import { deviceCommand, deviceUsage } from './device-command';
import { imageCommand, imageUsage } from './image-command';
import { demoCommand, demoUsage } from './demo';
import { keysCommand, keysUsage } from './keys-command';
import { faultsCommand, faultsUsage } from './faults-command';
import { fleetCommand, fleetUsage } from './fleet-command';

const commands: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
	cloud: { run: cloudCommand, usage: cloudUsage },
	release: { run: releaseCommand, usage: releaseUsage },
	device: { run: deviceCommand, usage: deviceUsage },
	image: { run: imageCommand, usage: imageUsage },
	keys: { run: keysCommand, usage: keysUsage },
	demo: { run: demoCommand, usage: demoUsage },
	faults: { run: faultsCommand, usage: faultsUsage },
	fleet: { run: fleetCommand, usage: fleetUsage },
};

const usage = () => `usage:\n${Object.values(commands).map((c) => c.usage).join('\n\n')}\n`;

export async function main(argv: string[]): Promise<number> {
	const [name, ...rest] = argv;
	if (!name || name === '--help' || name === '-h' || name === 'help') {
		process.stdout.write(usage());
		return name ? 0 : 2;
	}
	const command = commands[name];
	if (!command) {
		process.stderr.write(`updraft: unknown command "${name}"\n${usage()}`);
		return 2;
	}
	try {
		return await command.run(rest);
	} catch (error) {
		if (error instanceof UsageError) {
			process.stderr.write(`updraft ${name}: ${error.message}\n${command.usage}\n`);
			return 2;
		}
		process.stderr.write(`updraft ${name}: ${(error as Error).message}\n`);
		return 1;
	}
}
