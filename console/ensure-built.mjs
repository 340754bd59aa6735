// Builds the console when console/dist is missing or older than its sources, so `npm start` always serves a
// current console on a fresh clone, and costs only a few file stats when nothing changed.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { newestMtime, withBuildLock } from '../bin/build-lock.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const stamp = path.join(here, 'dist', 'index.html');
const lockDir = path.join(here, '.build-lock');

export function consoleIsStale() {
  const built = fs.statSync(stamp, { throwIfNoEntry: false });
  if (!built) return true;
  const sources = ['src', 'index.html', 'vite.config.ts', 'build-plugins.ts'].map((p) => path.join(here, p));
  sources.push(path.join(here, '..', 'package-lock.json'));
  // Server code the console bundles: the encoding decision of CSV uploads, shared with the importer.
  sources.push(path.join(here, '..', 'src', 'modules', 'importer', 'sniff.ts'));
  return Math.max(...sources.map(newestMtime)) > built.mtimeMs;
}

export function ensureConsoleBuilt({ quiet = false } = {}) {
  if (!consoleIsStale()) return false;
  return withBuildLock(lockDir, 'console', () => build(quiet));
}

function build(quiet) {
  // Another process may have built it while this one waited for the lock.
  if (!consoleIsStale()) return false;
  if (!quiet) process.stderr.write('Building the console (console/dist)…\n');
  const vite = path.join(here, '..', 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', path.join(here, 'vite.config.ts'), '--logLevel', quiet ? 'error' : 'warn'], {
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    // Under Vitest NODE_ENV is 'test', which Vite keeps: the bundle would carry React's development build (slower,
    // double effects under StrictMode), and stay in dist/ for `npm start` and the bench.
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (result.status !== 0) throw new Error(`the console build failed (exit ${result.status})`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureConsoleBuilt();
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
