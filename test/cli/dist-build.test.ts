import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildDist, distIsCurrent } from '../../bin/server-build.mjs';

// Inside the repository, so the compiled files resolve packages from its node_modules as dist/ does.
const outdir = path.resolve(`.dist-test-${process.pid}`);
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

describe('the compiled server (dist/)', () => {
  it('compiles src/ with its assets, and runs a real command on a fresh embedded database', { timeout: 300_000 }, async () => {
    const before = Date.now();
    const files = (await buildDist({ outdir, quiet: true })) as number;
    // Dated when the build started, so a source saved while it ran leaves the build stale.
    const stamped = fs.statSync(path.join(outdir, '.built')).mtimeMs;
    expect(stamped).toBeGreaterThanOrEqual(before - 1000);
    expect(stamped).toBeLessThanOrEqual(Date.now());
    expect(files).toBeGreaterThan(100);
    // The initdb helper is not TypeScript: it is copied, and the embedded database needs it on a fresh folder.
    expect(fs.existsSync(path.join(outdir, 'platform', 'db', 'pglite-initdb.mjs'))).toBe(true);
    expect(fs.existsSync(path.join(outdir, 'apps', 'cli', 'main.js'))).toBe(true);

    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-dist-'));
    const run = `const { main } = await import(${JSON.stringify(path.join(outdir, 'apps', 'cli', 'main.js'))}); await main(process.argv);`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', run, '--', 'siyu', 'workspace', 'create', '--name', 'Compiled brand', '--json'], {
      env: { ...process.env, SIYU_DATA_DIR: dataDir, DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ id: expect.stringMatching(/^ws_/), writeKey: expect.stringMatching(/^wk_/) });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is current while its stamp is newer than every source, stale otherwise', () => {
    const stamp = path.join(outdir, '.built');
    const tomorrow = new Date(Date.now() + 86_400_000);
    fs.utimesSync(stamp, tomorrow, tomorrow);
    expect(distIsCurrent(outdir)).toBe(true);
    fs.utimesSync(stamp, new Date(0), new Date(0));
    expect(distIsCurrent(outdir)).toBe(false);
    fs.rmSync(stamp);
    expect(distIsCurrent(outdir)).toBe(false);
  });
});
