#!/usr/bin/env node
// The `siyu` command. Runs the TypeScript sources through tsx, so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/apps/cli/main.ts');
await main(process.argv);
