/**
 * The intake's apply stage alone, in process, on PostgreSQL: the bench traffic of bench/ingest.ts (100 events per
 * request, ~10% new people) is written straight into `ingest_intake`, then applied by applyIntakeBatch until the intake
 * is empty, one transaction after another. Reports events/s, CPU per event (this process and its PostgreSQL backend)
 * and the time per statement kind, so a change to identity resolution, the events insert or profile touches can be
 * measured without HTTP and the load generator sharing the cores.
 *
 *   npx tsx bench/ingest-apply.ts [--events 100000] [--known 5000] [--drain 10000] [--rounds 1] [--schema NAME] [--cpu-prof FILE] [--pglite] [--evaluate]
 *     [--interleave [--interleave-every N]] [--server-like [--no-behind] [--no-rules]]
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createPostgresDialect, openDatabase } from '../src/platform/db/database.js'; // and its pg type parsers (bigint ids as numbers), as the server has them
import { migrateToLatest } from '../src/platform/db/migrate.js';
import type { DB } from '../src/platform/db/schema.js';
import { wireModules } from '../src/modules/wiring.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { applyIntakeBatch, intakeIsBehind } from '../src/modules/ingest/intake-applier.js';
import { processAllProfileChanges, startRulesWorker } from '../src/modules/segments/index.js';
import { rng, seedMessages, trafficMessage } from './lib/events.js';
import { cpuSeconds } from './lib/cpu.js';
import { resetSchema } from './lib/pg.js';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { PG_URL } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 100_000);
const KNOWN = arg('known', 5_000);
const DRAIN = arg('drain', 10_000);
const ROUNDS = arg('rounds', 1);
/** --schema NAME: run beside another copy of this bench (default siyu_bench_apply; A/B runs should still not overlap). */
const schemaArg = process.argv.indexOf('--schema');
const SCHEMA = schemaArg >= 0 ? process.argv[schemaArg + 1]! : 'siyu_bench_apply';
/** --cpu-prof FILE: a V8 CPU profile of this process during the last round's drain only (open it in Chrome DevTools). */
const profileArg = process.argv.indexOf('--cpu-prof');
const PROFILE = profileArg >= 0 ? process.argv[profileArg + 1]! : undefined;
const PGLITE = process.argv.includes('--pglite');
/** --evaluate: after each drain, the real-time rules tier takes the change feed (as the server's worker would). */
const EVALUATE = process.argv.includes('--evaluate');
/** --interleave: the rules tier takes the change feed after every applying transaction (as the server's lanes do while ingest runs). */
const INTERLEAVE = process.argv.includes('--interleave');
/**
 * --server-like: as the serving process runs it — two appliers on connections of their own and the rules worker's
 * real-time lanes beside them (its own pool); CPU is that of every backend this process holds.
 */
const SERVER_LIKE = process.argv.includes('--server-like');
/** --no-behind (with --server-like): the rules worker does not slow down while the intake is behind (the old policy). */
const NO_BEHIND = process.argv.includes('--no-behind');
/** --no-rules (with --server-like): the two appliers alone. */
const NO_RULES = process.argv.includes('--no-rules');
/** --interleave-every N: … after every Nth applying transaction. */
const INTERLEAVE_EVERY = arg('interleave-every', 1);
const BATCH = 100;

const label = (text: string) => {
  const t = text.replace(/\s+/g, ' ').trim();
  // A WITH statement is known by its opening (its first CTE's name and what it reads).
  if (/^WITH /i.test(t)) return t.slice(0, 60).replace(/"/g, '');
  const m = t.match(/^(INSERT INTO "?\w+|UPDATE "?\w+|DELETE FROM "?\w+|SELECT .*? FROM "?\w+|\w+)/i);
  return (m ? m[1]! : t.slice(0, 50)).replace(/"/g, '').slice(0, 80);
};

async function startProfile(): Promise<() => Promise<unknown>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => (await session.post('Profiler.stop')).profile;
}

async function main() {
  wireModules();
  const loadBefore = await machineLoad();
  log(`ingest apply stage: ${EVENTS} events in ${EVENTS / BATCH} intake rows, ${KNOWN} known people, ≤${DRAIN} events per transaction; ${loadBefore}`);
  // --pglite: an in-memory PGlite in this process, as `siyu serve` opens it (its CPU then counts as Node's).
  const lite = PGLITE ? await openDatabase({ dataDir: 'memory://' }) : undefined;
  if (!lite) await resetSchema(SCHEMA);
  const pool = lite ? lite.pool : new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${SCHEMA}` });
  const timings = new Map<string, { n: number; ms: number }>();
  let recording = false;
  const db = new Kysely<DB>({
    dialect: lite ? new PostgresDialect({ pool }) : createPostgresDialect(pool), // as the server has it: on PostgreSQL, transactions can COPY
    log: (e) => {
      if (!recording || e.level !== 'query') return;
      const k = label(e.query.sql);
      const t = timings.get(k) ?? { n: 0, ms: 0 };
      t.n += 1;
      t.ms += e.queryDurationMillis;
      timings.set(k, t);
    },
  });
  try {
    await migrateToLatest(db);
    const ws = await createWorkspace(db, { name: 'bench apply' });
    const backendPid = lite ? 0 : (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db)).rows[0]!.pid;
    const now = Date.now();
    const enqueue = async (messages: Record<string, unknown>[]) => {
      const rows = [];
      for (let k = 0; k < messages.length; k += BATCH) {
        const payload = JSON.stringify({ batch: messages.slice(k, k + BATCH), sentAt: new Date(now).toISOString() });
        rows.push({ workspace_id: ws.id, received_at: new Date(now), message_count: Math.min(BATCH, messages.length - k), kind: 'batch', payload });
      }
      for (let k = 0; k < rows.length; k += 64) await db.insertInto('ingest_intake').values(rows.slice(k, k + 64)).execute();
    };
    let evaluated = 0;
    let serverLikePg = 0;
    let drains = 0;
    const serverLike = async () => {
      const pools = [0, 1, 2].map((i) => new pg.Pool({ connectionString: PG_URL, max: i === 2 ? 4 : 1, idleTimeoutMillis: 0, application_name: i === 2 ? 'bench-rules' : 'bench-apply', options: `-c search_path=${SCHEMA}` }));
      const dbs = pools.map((p) => new Kysely<DB>({ dialect: createPostgresDialect(p) }));
      await Promise.all(dbs.map((d) => sql`SELECT 1`.execute(d)));
      // CPU seconds so far of the backends of the appliers' and the rules tier's pools (their application_name).
      const backendsCpu = async (...names: string[]) =>
        (await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE application_name = ANY(${names}::text[])`.execute(dbs[0]!)).rows.reduce((sum, r) => sum + cpuSeconds(r.pid), 0);
      const pgAtStart = await backendsCpu('bench-apply', 'bench-rules');
      const rulesPgAtStart = await backendsCpu('bench-rules');
      const stopRules = NO_RULES ? async () => {} : startRulesWorker(dbs[2]!, { workspaceId: ws.id, ingestBehind: NO_BEHIND ? undefined : intakeIsBehind });
      let events = 0;
      const applier = async (d: Kysely<DB>) => {
        for (;;) {
          const out = await applyIntakeBatch(d, ws.id, DRAIN);
          if (!out.rows) return;
          events += out.events;
        }
      };
      await Promise.all([applier(dbs[0]!), applier(dbs[1]!)]);
      await stopRules();
      // What the feed still holds (at most a pass's worth) is evaluated within the measurement, as the worker would.
      await processAllProfileChanges(dbs[2]!, { workspaceId: ws.id, maxLimit: 1000 });
      serverLikePg = (await backendsCpu('bench-apply', 'bench-rules')) - pgAtStart;
      log(`  the rules tier's PostgreSQL backends: ${round((((await backendsCpu('bench-rules')) - rulesPgAtStart) * 1e6) / events, 1)} µs per event`);
      await Promise.all(dbs.map((d) => d.destroy()));
      return events;
    };
    const drain = async () => {
      let events = 0;
      for (;;) {
        const out = await applyIntakeBatch(db, ws.id, DRAIN);
        if (!out.rows) return events;
        events += out.events;
        if (INTERLEAVE && ++drains % INTERLEAVE_EVERY === 0) evaluated += await processAllProfileChanges(db, { workspaceId: ws.id, maxLimit: 1000, releaseStale: false });
      }
    };
    await enqueue(seedMessages(0, KNOWN, rng(7), now - 86_400_000));
    await drain();
    if (!process.argv.includes("--no-analyze")) await sql`ANALYZE`.execute(db);
    log(`seeded ${KNOWN} known people`);
    const results = [];
    for (let round_ = 0; round_ < ROUNDS; round_++) {
      const r = rng(100 + round_);
      const tag = `apply${round_}`;
      await enqueue(Array.from({ length: EVENTS }, (_, seq) => trafficMessage(seq, tag, KNOWN, r, now)));
      timings.clear();
      recording = true;
      const profiling = PROFILE && round_ === ROUNDS - 1 ? await startProfile() : undefined;
      const pgBefore = (backendPid ? cpuSeconds(backendPid) : 0);
      const nodeBefore = process.cpuUsage();
      const started = performance.now();
      const events = SERVER_LIKE ? await serverLike() : await drain();
      const ms = performance.now() - started;
      recording = false;
      if (profiling) fs.writeFileSync(PROFILE!, JSON.stringify(await profiling()));
      const node = process.cpuUsage(nodeBefore);
      const nodeUs = (node.user + node.system) / events;
      const pgUs = SERVER_LIKE ? ((serverLikePg + cpuSeconds(backendPid) - pgBefore) * 1e6) / events : (((backendPid ? cpuSeconds(backendPid) : 0) - pgBefore) * 1e6) / events;
      const perSecond = events / (ms / 1000);
      log(`round ${round_ + 1}: ${events} events applied in ${(ms / 1000).toFixed(2)} s = ${Math.round(perSecond)} events/s; CPU per event ${round(nodeUs, 1)} µs Node + ${round(pgUs, 1)} µs PostgreSQL = ${round(nodeUs + pgUs, 1)} µs`);
      const total = [...timings.values()].reduce((a, t) => a + t.ms, 0);
      for (const [k, t] of [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
        log(`  ${t.ms.toFixed(0).padStart(6)} ms ${String(t.n).padStart(4)}× ${((t.ms * 1000) / events).toFixed(1).padStart(5)} µs/event  ${k}`);
      }
      if (INTERLEAVE) log(`  rules tier: ${evaluated} profiles evaluated (${round(evaluated / events, 2)} per event)`);
      evaluated = 0;
      log(`  ${total.toFixed(0).padStart(6)} ms in statements (${round((total / ms) * 100, 0)}% of the wall time)`);
      if (EVALUATE) {
        timings.clear();
        recording = true;
        const pgBeforeEval = backendPid ? cpuSeconds(backendPid) : 0;
        const nodeBeforeEval = process.cpuUsage();
        const evalStarted = performance.now();
        const profiles = await processAllProfileChanges(db, { workspaceId: ws.id });
        const evalMs = performance.now() - evalStarted;
        recording = false;
        const nodeEval = process.cpuUsage(nodeBeforeEval);
        const pgEvalUs = (((backendPid ? cpuSeconds(backendPid) : 0) - pgBeforeEval) * 1e6) / events;
        log(`  rules tier: ${profiles} changed profiles evaluated in ${(evalMs / 1000).toFixed(2)} s; CPU per applied event ${round((nodeEval.user + nodeEval.system) / events, 1)} µs Node + ${round(pgEvalUs, 1)} µs PostgreSQL`);
        for (const [k, t] of [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) {
          log(`  ${t.ms.toFixed(0).padStart(6)} ms ${String(t.n).padStart(4)}× ${((t.ms * 1000) / events).toFixed(1).padStart(5)} µs/event  ${k}`);
        }
      }
      results.push({ events, seconds: round(ms / 1000, 2), eventsPerSecond: round(perSecond), cpuUsPerEvent: { node: round(nodeUs, 1), postgres: round(pgUs, 1) } });
    }
    saveResult('ingest-apply', { date: new Date().toISOString(), machine: { before: loadBefore, after: await machineLoad() }, events: EVENTS, known: KNOWN, drain: DRAIN, rounds: results });
  } finally {
    await db.destroy();
    if (lite) await lite.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
