// The server runs from JavaScript compiled ahead of time into dist/ (the same layout as src/, one file per source,
// no bundling) when that build is current: the serving process then carries no TypeScript compiler, which keeps
// ~60 MB of memory off it and starts faster. When any source is newer than the build (a contributor's edit),
// bin/siyu.js runs the sources through tsx instead, so a stale build is never used.
//   node bin/server-build.mjs   builds dist/ if it is missing or stale (npm start does this)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtime, withBuildLock } from './build-lock.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
export const defaultDistDir = path.join(root, 'dist');
const STAMP = '.built';

/** True when `outdir` holds a build at least as new as every source file (and the lockfile and tsconfig). */
export function distIsCurrent(outdir = defaultDistDir) {
  const stamp = fs.statSync(path.join(outdir, STAMP), { throwIfNoEntry: false });
  if (!stamp) return false;
  const newest = Math.max(newestMtime(src), newestMtime(path.join(root, 'package-lock.json')), newestMtime(path.join(root, 'tsconfig.json')));
  return newest <= stamp.mtimeMs;
}

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Compiles src/ into `outdir` (through a temporary folder, swapped in at the end). Returns the number of files. */
export async function buildDist({ outdir = defaultDistDir, quiet = false } = {}) {
  const { buildSync } = await import('esbuild');
  // The stamp carries the time the build started: a source saved during the build makes it stale at once.
  const startedAt = new Date();
  const files = filesUnder(src);
  const sources = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const assets = files.filter((f) => !f.endsWith('.ts'));
  const tmp = `${outdir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  buildSync({ entryPoints: sources, outdir: tmp, outbase: src, platform: 'node', format: 'esm', target: 'node20', logLevel: quiet ? 'error' : 'warning' });
  for (const asset of assets) {
    const to = path.join(tmp, path.relative(src, asset));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(asset, to);
  }
  fs.writeFileSync(path.join(tmp, STAMP), `${startedAt.toISOString()}\n`);
  fs.utimesSync(path.join(tmp, STAMP), startedAt, startedAt);
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.renameSync(tmp, outdir);
  return sources.length + assets.length;
}

/** Builds dist/ when it is missing or stale, one process at a time; returns whether it built. */
export async function ensureDistBuilt({ quiet = false } = {}) {
  if (distIsCurrent()) return false;
  const lockDir = path.join(root, '.dist-build-lock');
  let built = false;
  await withBuildLock(lockDir, 'server', async () => {
    if (distIsCurrent()) return;
    if (!quiet) process.stderr.write('Compiling the server (dist/)…\n');
    await buildDist({ quiet });
    built = true;
  });
  return built;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureDistBuilt().catch((err) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
