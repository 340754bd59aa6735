/**
 * Which PGlite settings bound its memory: for each configuration, a fresh process opens PGlite in a fresh data
 * folder with extra start parameters, runs the migrations, loads a demo brand of --members members through the
 * normal ingest path, and reports RSS. The first configuration (PGlite's defaults) is the baseline.
 *
 *   npx tsx bench/pglite-memory.ts [--members 2000]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { log, round, saveResult } from './lib/results.js';

const CONFIGS: Record<string, string[]> = {
  defaults: [],
  'shared_buffers=16MB': ['-c', 'shared_buffers=16MB'],
  'shared_buffers=16MB, work_mem=2MB, maintenance_work_mem=16MB, temp_buffers=2MB, wal_buffers=1MB': [
    '-c', 'shared_buffers=16MB', '-c', 'work_mem=2MB', '-c', 'maintenance_work_mem=16MB', '-c', 'temp_buffers=2MB', '-c', 'wal_buffers=1MB',
  ],
};
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

async function child(config: string, members: number) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  await import('../src/platform/db/database.js'); // the same int8/numeric type parsers as the server
  const { migrateToLatest } = await import('../src/platform/db/migrate.js');
  const { wireModules } = await import('../src/modules/wiring.js');
  const { loadDemoBrand } = await import('../src/modules/demo/index.js');
  wireModules();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-pglite-mem-'));
  try {
    const extra = CONFIGS[config]!;
    const pglite = new PGlite(path.join(dir, 'pgdata'), extra.length ? { startParams: [...PGlite.defaultStartParams, ...extra] } : {});
    await pglite.waitReady;
    const opened = rssMb();
    const settings = await pglite.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem', 'wal_buffers')`,
    );
    const db = new Kysely<never>({ dialect: new PostgresDialect({ pool: new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig) }) });
    await migrateToLatest(db as never);
    const started = performance.now();
    await loadDemoBrand(db as never, { members });
    const loadMs = performance.now() - started;
    global.gc?.();
    const result = { config, openedRssMb: round(opened), afterDemoRssMb: round(rssMb()), heapMb: round(process.memoryUsage().heapUsed / 2 ** 20), loadSeconds: round(loadMs / 1000, 1),
      settings: Object.fromEntries(settings.rows.map((s) => [s.name, `${s.setting} × ${s.unit ?? '1'}`])) };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    await db.destroy();
    await pglite.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const members = Number(arg('members', '2000'));
  if (process.argv.includes('--child')) return child(arg('config', 'defaults'), members);
  log(`PGlite memory settings: demo brand of ${members} members per configuration, each in a fresh process and data folder`);
  const results = [];
  for (const config of Object.keys(CONFIGS)) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', import.meta.filename, '--child', '--config', config, '--members', String(members)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      log(`  ${config}: failed\n${r.stderr.slice(0, 1500)}`);
      continue;
    }
    const res = JSON.parse(line);
    results.push(res);
    log(`  ${config}: RSS ${res.openedRssMb} MB after open, ${res.afterDemoRssMb} MB after the demo load (${res.loadSeconds} s); ${JSON.stringify(res.settings)}`);
  }
  saveResult('pglite-memory', { date: new Date().toISOString(), members, results });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
