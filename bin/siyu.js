#!/usr/bin/env node
// The `siyu` command. Runs the compiled server (dist/, see server-build.mjs) when it is current, otherwise the
// TypeScript sources through tsx, so a fresh clone needs no build step and an edit is never hidden by an old build.
import { distIsCurrent } from './server-build.mjs';

let main;
if (distIsCurrent()) {
  ({ main } = await import('../dist/apps/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/apps/cli/main.ts'));
}
await main(process.argv);
