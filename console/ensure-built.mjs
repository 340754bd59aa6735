// Builds the console when console/dist is missing or older than its sources, so `npm start` always serves a
// current console on a fresh clone, and costs only a few file stats when nothing changed.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const stamp = path.join(here, 'dist', 'index.html');

function newestMtime(target) {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

export function consoleIsStale() {
  const built = fs.statSync(stamp, { throwIfNoEntry: false });
  if (!built) return true;
  const sources = ['src', 'index.html', 'vite.config.ts', 'build-plugins.ts'].map((p) => path.join(here, p));
  sources.push(path.join(here, '..', 'package-lock.json'));
  return Math.max(...sources.map(newestMtime)) > built.mtimeMs;
}

const lockDir = path.join(here, '.build-lock');

/** One build at a time across processes (a directory is created atomically); a lock older than 10 minutes is stale. */
function withBuildLock(fn) {
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch {
      const stat = fs.statSync(lockDir, { throwIfNoEntry: false });
      if (stat && Date.now() - stat.mtimeMs > 10 * 60_000) fs.rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() - started > 15 * 60_000) throw new Error(`waited 15 minutes for another console build (${lockDir})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

export function ensureConsoleBuilt({ quiet = false } = {}) {
  if (!consoleIsStale()) return false;
  return withBuildLock(() => build(quiet));
}

function build(quiet) {
  // Another process may have built it while this one waited for the lock.
  if (!consoleIsStale()) return false;
  if (!quiet) process.stderr.write('Building the console (console/dist)…\n');
  const vite = path.join(here, '..', 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', '--config', path.join(here, 'vite.config.ts'), '--logLevel', quiet ? 'error' : 'warn'], {
    stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
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
