#!/usr/bin/env node
// The updraft command: the simulator's TypeScript runs through tsx's loader.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../simulator/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
