/**
 * Where one real-time pass spends its time: queues N random profiles on the change feed (as ingest would: one
 * `Product Viewed`, "everything", or `mix`: bench/realtime.ts's mix of new events, bench/lib/realtime-mix.ts),
 * drains it in batches of --limit through processProfileChanges, and sums each
 * SQL statement's time and its backend's CPU (by its text) against the time spent outside the database. Runs on the data
 * bench/realtime.ts leaves behind (schema siyu_bench_realtime).
 *
 *   npx tsx bench/realtime-profile.ts [--profiles 2000] [--limit 500] [--mode event|everything|mix] [--explain]
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import type { DB } from '../src/platform/db/schema.js';
import { openDatabase } from '../src/platform/db/database.js';
import { wireModules } from '../src/modules/wiring.js';
import { markProfilesChanged, type ProfileChangeScope } from '../src/modules/identity/index.js';
import { processProfileChanges } from '../src/modules/segments/index.js';
import { log, machineLoad } from './lib/results.js';
import { mixLoad } from './lib/realtime-mix.js';
import { cpuSeconds } from './lib/cpu.js';
import { PG_URL } from './lib/server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const n = Number(arg('profiles', '2000'));
const limit = Number(arg('limit', '500'));
const mode = arg('mode', 'event');
const SCHEMA = arg('schema', 'siyu_bench_realtime');

const stats = new Map<string, { n: number; ms: number; cpu: number }>();
/** The one backend's CPU seconds when the previous statement ended: the pool has one connection, so statements run one after another. */
let backend = 0;
let backendCpu = 0;
const key = (text: string) => text.replace(/\s+/g, ' ').replace(/\$\d+(, \$\d+)*/g, '$').slice(0, 150);

async function main() {
  wireModules();
  // Opened once through the platform so the schema exists; the measured client logs every query.
  await (await openDatabase({ url: PG_URL, schema: SCHEMA, poolSize: 1 })).close();
  // One connection: each statement's PostgreSQL CPU is the backend's CPU since the previous one ended (10 ms ticks,
  // summed over many statements).
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${SCHEMA}` });
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log(e: LogEvent) {
      const k = key(e.query.sql);
      const s = stats.get(k) ?? { n: 0, ms: 0, cpu: 0 };
      s.n++;
      s.ms += e.queryDurationMillis;
      const cpu = backend ? cpuSeconds(backend) : 0;
      s.cpu += (cpu - backendCpu) * 1000;
      backendCpu = cpu;
      stats.set(k, s);
    },
  });
  try {
    const ws = (await db.selectFrom('workspaces').select('id').executeTakeFirstOrThrow()).id;
    backend = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]!.pid;
    await sql`DELETE FROM profile_changes WHERE workspace_id = ${ws}`.execute(db);
    const { rows } = await sql<{ id: number }>`SELECT id FROM profiles WHERE workspace_id = ${ws} AND merged_into IS NULL AND id IN (SELECT profile_id FROM identifiers WHERE workspace_id = ${ws}) ORDER BY random() LIMIT ${n}`.execute(db);
    let ids = rows.map((r) => r.id);
    let scopes = new Map<number, ProfileChangeScope>(mode === 'event' ? ids.map((id) => [id, { events: ['Product Viewed'], traits: false }]) : []);
    if (mode === 'mix') ({ ids, scopes } = await mixLoad(db, ws, ids));
    await db.transaction().execute((trx) => markProfilesChanged(trx, ws, ids, scopes));
    stats.clear();
    backendCpu = cpuSeconds(backend);
    const nodeCpu = process.cpuUsage();
    log(`profiling ${n} profiles (${mode}) in batches of ${limit}; ${await machineLoad()}`);
    const t = performance.now();
    let profiles = 0;
    const batches: number[] = [];
    for (;;) {
      const r = await processProfileChanges(db, ws, { limit });
      if (r.profiles === 0) break;
      batches.push(r.profiles);
      profiles += r.profiles;
    }
    const total = performance.now() - t;
    const node = process.cpuUsage(nodeCpu);
    const dbMs = [...stats.values()].reduce((a, s) => a + s.ms, 0);
    const pgCpu = [...stats.values()].reduce((a, s) => a + s.cpu, 0);
    const us = (ms: number) => Math.round((ms * 1000) / profiles);
    log(`${profiles} profiles in ${total.toFixed(0)} ms → ${Math.round(profiles / (total / 1000))}/s (batches ${batches.join(', ')}); SQL ${dbMs.toFixed(0)} ms, other ${(total - dbMs).toFixed(0)} ms`);
    log(`CPU per profile: node ${us((node.user + node.system) / 1000)} µs, PostgreSQL ${us(pgCpu)} µs; per statement (wall ms, PostgreSQL CPU µs per profile):`);
    for (const [k, s] of [...stats.entries()].sort((a, b) => b[1].cpu - a[1].cpu || b[1].ms - a[1].ms).slice(0, 25)) {
      log(`  ${s.ms.toFixed(0).padStart(6)} ms ${String(us(s.cpu)).padStart(5)} µs ${String(s.n).padStart(4)}×  ${k}`);
    }
    log(`  ${await machineLoad()}`);
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
