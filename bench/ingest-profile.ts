/**
 * Where an ingest batch spends its time: the same traffic as bench/ingest.ts, stored in-process through the ingest
 * service (no HTTP), with every SQL statement timed by wrapping pg's Client.query, and the JavaScript work timed
 * apart. Sequential (one batch at a time), so statement times are not inflated by lock waits.
 *
 *   npx tsx bench/ingest-profile.ts [--batches 200] [--known 5000]          # PostgreSQL, schema siyu_bench_profile
 *   npx tsx bench/ingest-profile.ts --pglite                                 # in-memory PGlite
 *   npx tsx bench/ingest-profile.ts --import [--batches 10]                  # member import chunks (2,000 rows each)
 */
import fs from 'node:fs';
import pg from 'pg';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { wireModules } from '../src/modules/wiring.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { ingestMessages, prepareMessages, setIngestParallelism, storeMessages } from '../src/modules/ingest/index.js';
import { applyImportChunk } from '../src/modules/importer/index.js';
import { rng, seedMessages, trafficMessage } from './lib/events.js';
import { resetSchema } from './lib/pg.js';
import { log, saveResult } from './lib/results.js';
import { PG_URL } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const batches = arg('batches', 200);
const knownPool = arg('known', 5_000);
const usePglite = process.argv.includes('--pglite');
const importMode = process.argv.includes('--import');
const CHUNK = 2000;
/** --size N: events per stored batch (group commit combines concurrent requests into batches of ~1,000–4,000). */
const SIZE = arg('size', 100);
/**
 * --concurrency N: N callers at once through ingestMessages (group commit, two flushes at a time on PostgreSQL, as
 * the server runs it) instead of one batch after another; statement CPU then includes what contention costs.
 */
const CONCURRENCY = arg('concurrency', 0);

/** Member rows as `siyu import members` reads them from a CSV (see bench/members.ts). */
const memberChunk = (b: number) =>
  Array.from({ length: CHUNK }, (_, k) => {
    const i = b * CHUNK + k;
    return { line: i + 2, record: { member_no: `M${10_000_000 + i}`, phone: `13${String(i).padStart(9, '0')}`, name: `会员${i}`, gender: 'female', city: '上海', birthday: '1990-01-01', tier: '金卡', joined_at: '2025-01-01T00:00:00.000Z' } };
  });
const SCHEMA = 'siyu_bench_profile';

/** Statement label: the verb and the first table it names. */
const label = (text: string) => {
  const t = text.replace(/\s+/g, ' ').trim();
  const m = t.match(/^(INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM|SELECT|BEGIN|COMMIT|ROLLBACK)\s*([a-z_"]+)?/i);
  return m ? `${m[1]!.startsWith('SELECT') ? 'SELECT' : m[1]} ${m[2] ?? ''}`.trim() + (t.includes('pg_advisory') ? ' (advisory lock)' : '') : t.slice(0, 40);
};

const timings = new Map<string, { n: number; ms: number; cpuMs: number }>();
let recording = false;
/** The backend's own CPU time so far (ns, from /proc/<pid>/schedstat): robust on a busy machine, unlike wall time. */
const backendCpuNs = (pid: number | undefined): number => {
  if (!pid) return NaN;
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
};
const origQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string };
  const text = typeof first === 'string' ? first : first?.text;
  const result = origQuery.apply(this, args);
  if (!recording || !text || !(result instanceof Promise)) return result;
  const t0 = performance.now();
  const pid = (this as unknown as { processID?: number }).processID;
  const cpu0 = backendCpuNs(pid);
  return result.then((r) => {
    const key = label(text);
    const agg = timings.get(key) ?? { n: 0, ms: 0, cpuMs: 0 };
    agg.n++;
    agg.ms += performance.now() - t0;
    const cpu = (backendCpuNs(pid) - cpu0) / 1e6;
    if (Number.isFinite(cpu)) agg.cpuMs += cpu;
    timings.set(key, agg);
    return r;
  });
};

async function main() {
  wireModules();
  if (!usePglite) await resetSchema(SCHEMA);
  const database = await openDatabase(usePglite ? { dataDir: 'memory://' } : { url: PG_URL, schema: SCHEMA, poolSize: Math.max(4, CONCURRENCY) });
  await migrateToLatest(database.db);
  const ws = await createWorkspace(database.db, { name: 'ingest profile' });
  const db = database.db;
  const r = rng(11);
  const now = Date.now();
  log(`seeding ${importMode ? 0 : knownPool} known people on ${database.kind}`);
  const seed = importMode ? [] : seedMessages(0, knownPool, r, now);
  for (let k = 0; k < seed.length; k += 500) await storeMessages(db, ws.id, prepareMessages(seed.slice(k, k + 500), { receivedAt: new Date() }).messages);

  const bodies = Array.from({ length: batches }, (_, b) => JSON.stringify({ batch: Array.from({ length: SIZE }, (_, j) => trafficMessage(b * SIZE + j, 'prof', knownPool, r, now)) }));
  if (importMode) {
    recording = true;
    const t0 = performance.now();
    for (let b = 0; b < batches; b++) await applyImportChunk(db, ws.id, 'members', memberChunk(b));
    const total = performance.now() - t0;
    recording = false;
    const rows = [...timings.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([k, t]) => ({ statement: k, perChunk: +(t.n / batches).toFixed(2), msPerChunk: +(t.ms / batches).toFixed(1) }));
    const sqlMs = [...timings.values()].reduce((x, t) => x + t.ms, 0);
    log(`${batches} import chunks of ${CHUNK} members on ${database.kind}: ${(total / batches).toFixed(0)} ms per chunk = ${Math.round((batches * CHUNK) / (total / 1000))} rows/s; SQL ${(sqlMs / batches).toFixed(0)} ms per chunk, JavaScript ${((total - sqlMs) / batches).toFixed(0)} ms`);
    console.table(rows);
    saveResult(`import-profile-${database.kind}`, { batches, chunk: CHUNK, msPerChunk: total / batches, sqlMs: sqlMs / batches, statements: rows });
    await database.close();
    return;
  }
  let parseMs = 0;
  let prepareMs = 0;
  let storeMs = 0;
  recording = true;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  if (CONCURRENCY > 0) {
    setIngestParallelism(db, database.kind === 'postgres' ? 2 : 1);
    let next = 0;
    const worker = async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        const raw = (JSON.parse(body) as { batch: unknown[] }).batch;
        parseMs += performance.now() - t0;
        await ingestMessages(db, ws.id, raw);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }
  for (const [b, body] of (CONCURRENCY > 0 ? [] : bodies).entries()) {
    const t0 = performance.now();
    const raw = (JSON.parse(body) as { batch: unknown[] }).batch;
    const t1 = performance.now();
    const { messages } = prepareMessages(raw, { receivedAt: new Date() });
    const t2 = performance.now();
    await storeMessages(db, ws.id, messages);
    const t3 = performance.now();
    parseMs += t1 - t0;
    prepareMs += t2 - t1;
    storeMs += t3 - t2;
    if (b % 50 === 49) log(`  ${b + 1}/${batches} batches`);
  }
  const total = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  recording = false;
  const sqlMs = [...timings.values()].reduce((s, t) => s + t.ms, 0);
  const rows = [...timings.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([k, t]) => ({
    statement: k, perBatch: +(t.n / batches).toFixed(2), msPerBatch: +(t.ms / batches).toFixed(2), backendCpuUsPerEvent: +((t.cpuMs * 1000) / (batches * SIZE)).toFixed(1),
  }));
  const cpuMs = [...timings.values()].reduce((s, t) => s + t.cpuMs, 0);
  log(`${batches} batches of ${SIZE} on ${database.kind}: ${(total / batches).toFixed(1)} ms per batch = ${Math.round((batches * SIZE) / (total / 1000))} events/s ${CONCURRENCY > 0 ? `with ${CONCURRENCY} callers` : 'sequential'}`);
  log(`  this process's CPU ${(((cpu.user + cpu.system) / 1000) * 1000 / (batches * SIZE)).toFixed(1)} µs per event (process.cpuUsage${usePglite ? ': PGlite runs in it' : ''})`);
  if (cpuMs > 0) log(`  PostgreSQL backend CPU ${((cpuMs * 1000) / (batches * SIZE)).toFixed(1)} µs per event (from /proc/<pid>/schedstat)`);
  log(`  JSON.parse ${(parseMs / batches).toFixed(2)} ms, prepareMessages (zod + normalise) ${(prepareMs / batches).toFixed(2)} ms, storeMessages ${(storeMs / batches).toFixed(2)} ms (of which SQL round trips ${(sqlMs / batches).toFixed(2)} ms)`);
  console.table(rows);
  saveResult(`ingest-profile-${database.kind}`, { batches, knownPool, msPerBatch: total / batches, parseMs: parseMs / batches, prepareMs: prepareMs / batches, storeMs: storeMs / batches, sqlMs: sqlMs / batches, statements: rows });
  await database.close();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
