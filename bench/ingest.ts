/**
 * Ingest benchmark: HTTP POST /v1/batch (100 events per batch, identity resolution on, ~10% new people) into a
 * `siyu serve` child process, on PostgreSQL and on PGlite, against a raw COPY of the same rows into a bare copy
 * of the events table on PostgreSQL in the same run.
 *
 *   npx tsx bench/ingest.ts [--seconds 20] [--concurrency N] [--known 10000]
 *   npx tsx bench/ingest.ts --postgres-only … | --pglite-only --concurrency N …   (one side, for A/B runs)
 *   … --intake auto|always|never   (SIYU_INGEST_INTAKE of the servers: A/B of the durable intake)
 *
 * Two rates: acceptance (events answered 200, durably committed, per second of load) and end to end (events per
 * second until the intake is empty again: the load time plus the time the applier needs to drain what it queued),
 * each with CPU per event (server, its PostgreSQL backends, load generator).
 *
 * PostgreSQL: schema siyu_bench (dropped first). PGlite: a fresh temporary data folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { basicAuth, runLoad, type LoadRequest } from './lib/load.js';
import { rng, seedMessages, trafficMessage } from './lib/events.js';
import { copyCsv, csvField, resetSchema, withClient } from './lib/pg.js';
import { cpuSeconds } from './lib/cpu.js';
import pg from 'pg';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { createWorkspaceViaCli, PG_URL, siyuEnv, startServer, type SiyuProcess } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 20);
const fixedConcurrency = arg('concurrency', 0);
const knownPool = arg('known', 10_000);
/** --postgres-only: skip PGlite (for quick before/after comparisons of a change). */
const postgresOnly = process.argv.includes('--postgres-only');
/** --pglite-only: skip PostgreSQL and the raw COPY (needs --concurrency), for before/after comparisons on PGlite. */
const pgliteOnly = process.argv.includes('--pglite-only');
/** --no-workers: the PostgreSQL server only answers HTTP (rule evaluation left to `siyu worker`, not started here). */
const noWorkers = process.argv.includes('--no-workers');
/** --cpu-prof: write V8 CPU profiles of both servers into /tmp/siyu-bench-profiles (open them in Chrome DevTools). */
const cpuProf = process.argv.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', path.join(os.tmpdir(), 'siyu-bench-profiles')] : [];
/** --intake MODE: the servers' SIYU_INGEST_INTAKE (default: the environment's, else auto). */
const intakeArg = process.argv.indexOf('--intake');
const intakeEnv: Record<string, string> = intakeArg >= 0 ? { SIYU_INGEST_INTAKE: process.argv[intakeArg + 1]! } : {};
/** --accept-only: the servers' applier is off (SIYU_INGEST_APPLIER=off): what accepting alone costs, nothing drained. */
const acceptOnly = process.argv.includes('--accept-only');
if (acceptOnly) intakeEnv.SIYU_INGEST_APPLIER = 'off';
const BATCH = 100;
/** --schema NAME / --port N: run beside another copy of this bench (defaults: siyu_bench, ports 3911 and 3912). */
const schemaArg = process.argv.indexOf('--schema');
const SCHEMA = schemaArg >= 0 ? process.argv[schemaArg + 1]! : 'siyu_bench';
const PORT = arg('port', 3911);

/** Bodies serialised and encoded before the clock starts, as a real sender's pre-built payloads: the load generator shares the 2 cores. */
function batchRequests(writeKey: string, messages: Record<string, unknown>[]): LoadRequest[] {
  const out: LoadRequest[] = [];
  for (let k = 0; k < messages.length; k += BATCH) {
    const body = Buffer.from(JSON.stringify({ batch: messages.slice(k, k + BATCH), sentAt: new Date().toISOString() }));
    const headers = { authorization: basicAuth(writeKey), 'content-type': 'application/json', 'content-length': String(body.length) };
    out.push({ method: 'POST', path: '/v1/batch', headers, body });
  }
  return out;
}

function traffic(runTag: string, count: number, seed: number, now = Date.now()) {
  const r = rng(seed);
  return Array.from({ length: count }, (_, seq) => trafficMessage(seq, runTag, knownPool, r, now));
}

/** Polls the workspace's intake backlog until it is empty; returns the ms it took. */
async function waitForDrain(baseUrl: string, adminToken: string): Promise<{ ms: number; queuedAtEnd: number }> {
  const started = performance.now();
  let queuedAtEnd = -1;
  for (;;) {
    const res = await fetch(`${baseUrl}/api/v1/ingest/backlog`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (!res.ok) throw new Error(`backlog: ${res.status} ${await res.text()}`);
    const { data } = (await res.json()) as { data: { rows: number; events: number } };
    if (queuedAtEnd < 0) queuedAtEnd = data.events;
    if (data.rows === 0) return { ms: performance.now() - started, queuedAtEnd };
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function seed(baseUrl: string, writeKey: string, label: string, adminToken: string) {
  const r = rng(7);
  const requests = batchRequests(writeKey, seedMessages(0, knownPool, r, Date.now()));
  const res = await runLoad({ baseUrl, requests, concurrency: 4, maxMs: 300_000, onProgress: (n) => log(`  ${label} seeding ${n * BATCH}/${knownPool} known people`) });
  if (res.failed) throw new Error(`seeding failed: ${res.firstError}`);
  if (!acceptOnly) await waitForDrain(baseUrl, adminToken);
  log(`  ${label}: seeded ${knownPool} known people in ${(res.ms / 1000).toFixed(1)} s`);
}

/**
 * CPU of the PostgreSQL backends serving the bench server (its connections carry application_name APP_NAME), polled
 * while the load runs: a backend's last reading counts even if it exits before the end.
 */
const APP_NAME = `siyu-bench-ingest-${process.pid}`;
function watchBackends() {
  const client = new pg.Client({ connectionString: PG_URL });
  const connected = client.connect();
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  let fresh = true;
  const poll = async () => {
    await connected;
    const pids = (await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [APP_NAME])).rows.map((r) => r.pid);
    for (const pid of pids) {
      const cpu = cpuSeconds(pid);
      if (!first.has(pid)) first.set(pid, fresh ? cpu : 0);
      if (cpu > 0) last.set(pid, cpu);
    }
    fresh = false;
  };
  let timer: NodeJS.Timeout | undefined;
  const started = poll().then(() => void (timer = setInterval(() => void poll().catch(() => {}), 500)));
  const total = () => {
    let sum = 0;
    for (const [pid, cpu] of last) sum += cpu - (first.get(pid) ?? 0);
    return sum * 1000;
  };
  return {
    started,
    /** Backend CPU ms so far, without stopping. */
    async sample(): Promise<number> {
      await poll();
      return total();
    },
    async stop(): Promise<number> {
      clearInterval(timer);
      await poll();
      await client.end();
      let total = 0;
      for (const [pid, cpu] of last) total += cpu - (first.get(pid) ?? 0);
      return total * 1000;
    },
  };
}

async function measure(server: SiyuProcess & { url: string }, ws: { writeKey: string; adminToken: string }, label: string, runTag: string, concurrency: number, maxMs: number, maxEvents: number) {
  const baseUrl = server.url;
  const seed = runTag.length * 7919 + concurrency;
  const now = Date.now();
  // Only the encoded bodies (outside the JavaScript heap) live through the run: holding the messages as objects made
  // every major collection of the load generator walk them (~8 us of its CPU per event); the raw COPY rebuilds them.
  const requests = batchRequests(ws.writeKey, traffic(runTag, maxEvents, seed, now));
  const backends = watchBackends();
  await backends.started;
  const cpuBefore = server.cpuMs();
  const clientBefore = process.cpuUsage();
  const res = await runLoad({
    baseUrl, requests, concurrency, maxMs,
    onProgress: (n, ms) => log(`  ${label} N=${concurrency}: ${n * BATCH} events, ${Math.round((n * BATCH) / (ms / 1000))} events/s`),
  });
  if (res.failed) {
    log(`  ${label}: ${res.failed} failed requests; first: ${res.firstError}`);
    for (const line of server.lines.filter((l) => l.includes('"level":50')).slice(-2)) log(`  server: ${line.slice(0, 600)}`);
  }
  const events = res.completed * BATCH;
  // The server's own CPU per batch bounds what one Node process can ingest, whatever the database does.
  const serverCpuMs = server.cpuMs() - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  const backendAcceptMs = await backends.sample();
  // End to end: until everything accepted is applied (the intake drained).
  const drain = acceptOnly ? { ms: 0, queuedAtEnd: -1 } : await waitForDrain(baseUrl, ws.adminToken);
  const serverE2eMs = server.cpuMs() - cpuBefore;
  const backendCpuMs = await backends.stop();
  const e2eMs = res.ms + drain.ms;
  const perEventE2e = (ms: number) => round((ms * 1000) / Math.max(1, events), 1);
  const cpuUsPerEventE2e = { server: perEventE2e(serverE2eMs), postgres: perEventE2e(backendCpuMs) };
  log(`  ${label}: ${drain.queuedAtEnd} events queued when the load stopped, drained in ${(drain.ms / 1000).toFixed(1)} s; end to end ${Math.round(events / (e2eMs / 1000))} events/s; CPU per event until drained ${cpuUsPerEventE2e.server} µs server + ${cpuUsPerEventE2e.postgres} µs PostgreSQL backends`);
  const serverCpuMsPerBatch = serverCpuMs / Math.max(1, res.completed + res.failed);
  // CPU per event of the whole loop (server, its PostgreSQL backends, this load generator): on a shared machine this
  // holds where events/s does not; 2 cores / this = the rate the loop could reach alone on the machine.
  const perEvent = (ms: number) => round((ms * 1000) / Math.max(1, events), 1);
  const cpuUsPerEvent = { server: perEvent(serverCpuMs), postgres: perEvent(backendAcceptMs), client: perEvent((client.user + client.system) / 1000) };
  log(`  ${label}: CPU per event while accepting ${cpuUsPerEvent.server} µs server + ${cpuUsPerEvent.postgres} µs PostgreSQL backends + ${cpuUsPerEvent.client} µs load generator = ${round(cpuUsPerEvent.server + cpuUsPerEvent.postgres + cpuUsPerEvent.client, 1)} µs`);
  return { events, ms: res.ms, eventsPerSecond: events / (res.ms / 1000), failed: res.failed, serverCpuMsPerBatch, cpuUsPerEvent,
    endToEnd: { seconds: round(e2eMs / 1000, 1), eventsPerSecond: round(events / (e2eMs / 1000)), queuedAtEnd: drain.queuedAtEnd, drainSeconds: round(drain.ms / 1000, 1), cpuUsPerEvent: cpuUsPerEventE2e },
    messages: () => traffic(runTag, events, seed, now) };
}

/** The same rows as the events table would hold them, COPYed into an identical table without identity work. */
async function rawCopy(messages: Record<string, unknown>[]): Promise<{ rows: number; ms: number; rowsPerSecond: number }> {
  await withClient(SCHEMA, async (c) => {
    await c.query('DROP TABLE IF EXISTS bench_raw_events');
    await c.query('CREATE TABLE bench_raw_events (LIKE events INCLUDING ALL)');
  });
  const now = new Date().toISOString();
  const lines = messages.map((m, i) =>
    [
      'ws_bench_raw', m.messageId, m.type, m.event ?? null, i + 1, i + 1, m.userId ?? null, m.anonymousId ?? null, m.timestamp, now,
      m.properties ?? null, m.traits ?? null, m.context ?? null,
    ].map(csvField).join(',') + '\n',
  );
  const cols = ['workspace_id', 'message_id', 'type', 'event', 'identifier_id', 'profile_id', 'user_id', 'anonymous_id', '"timestamp"', 'received_at', 'properties', 'traits', 'context'];
  const ms = await copyCsv(SCHEMA, 'bench_raw_events', cols, lines);
  return { rows: lines.length, ms, rowsPerSecond: lines.length / (ms / 1000) };
}

async function main() {
  const loadBefore = await machineLoad();
  log(`ingest benchmark: ${seconds} s per measurement, ${BATCH} events per batch, ${knownPool} known people; ${loadBefore}`);

  if (pgliteOnly) {
    if (!fixedConcurrency) throw new Error('--pglite-only needs --concurrency N');
    const lite = await measurePglite(fixedConcurrency);
    const result = { date: new Date().toISOString(), machine: { before: loadBefore, after: await machineLoad() }, concurrency: fixedConcurrency, pglite: lite };
    log(`RESULT ingest (PGlite only, intake ${intakeEnv.SIYU_INGEST_INTAKE ?? process.env.SIYU_INGEST_INTAKE ?? 'auto'}): accepted ${lite.eventsPerSecond} events/s, end to end ${lite.endToEnd.eventsPerSecond} events/s, server CPU ${lite.serverCpuMsPerBatch} ms per batch, RSS ${lite.rssMb} MB`);
    return saveResult('ingest-pglite', result);
  }

  // PostgreSQL
  log(`PostgreSQL: resetting schema ${SCHEMA}, creating a workspace, starting siyu serve --no-demo`);
  await resetSchema(SCHEMA);
  const pgEnv = { ...siyuEnv({ schema: SCHEMA }), PGAPPNAME: APP_NAME, ...intakeEnv };
  const pgWs = await createWorkspaceViaCli(pgEnv, 'bench ingest (PostgreSQL)');
  const pgServer = await startServer(pgEnv, { port: PORT, nodeArgs: cpuProf, workers: !noWorkers });
  let pgResult;
  let concurrency = fixedConcurrency;
  const sweep: Array<{ concurrency: number; eventsPerSecond: number }> = [];
  try {
    await seed(pgServer.url, pgWs.writeKey, 'PostgreSQL', pgWs.adminToken);
    if (!concurrency) {
      log('PostgreSQL: short concurrency sweep (5 s each) to pick N');
      for (const n of [2, 4, 8, 16]) {
        const r = await measure(pgServer, pgWs, 'PostgreSQL sweep', `sweep${n}`, n, 5_000, 60_000);
        sweep.push({ concurrency: n, eventsPerSecond: round(r.eventsPerSecond) });
        log(`  N=${n}: ${Math.round(r.eventsPerSecond)} events/s`);
      }
      concurrency = [...sweep].sort((a, b) => b.eventsPerSecond - a.eventsPerSecond)[0]!.concurrency;
      log(`PostgreSQL: best N = ${concurrency}`);
    }
    pgResult = await measure(pgServer, pgWs, 'PostgreSQL', 'pgrun', concurrency, seconds * 1000, 400_000);
    log(`PostgreSQL: ${pgResult.events} events in ${(pgResult.ms / 1000).toFixed(1)} s = ${Math.round(pgResult.eventsPerSecond)} events/s (N=${concurrency}); server CPU ${pgResult.serverCpuMsPerBatch.toFixed(1)} ms per batch; RSS ${Math.round(pgServer.rssMb())} MB`);
  } finally {
    await pgServer.stop();
  }
  const { rows: profiles } = await withClient(SCHEMA, (c) => c.query<{ n: number; e: number }>(`SELECT (SELECT count(*) FROM profiles WHERE merged_into IS NULL)::int AS n, (SELECT count(*) FROM events)::int AS e`));
  log(`PostgreSQL: database now holds ${profiles[0]!.n} live profiles and ${profiles[0]!.e} events`);

  log(`raw COPY baseline: the same ${pgResult.events} rows into a bare copy of the events table`);
  const copy = await rawCopy(pgResult.messages());
  log(`raw COPY: ${copy.rows} rows in ${(copy.ms / 1000).toFixed(2)} s = ${Math.round(copy.rowsPerSecond)} rows/s`);

  const partial = { date: new Date().toISOString(), machine: { before: loadBefore, after: await machineLoad() }, batchSize: BATCH, knownPool, seconds, concurrency, sweep,
    postgres: { events: pgResult.events, seconds: round(pgResult.ms / 1000, 1), eventsPerSecond: round(pgResult.eventsPerSecond), failed: pgResult.failed, serverCpuMsPerBatch: round(pgResult.serverCpuMsPerBatch, 1) },
    rawCopy: { rows: copy.rows, seconds: round(copy.ms / 1000, 2), rowsPerSecond: round(copy.rowsPerSecond) },
    ratios: { postgresToRawCopy: round(pgResult.eventsPerSecond / copy.rowsPerSecond, 3) } };
  saveResult('ingest', partial); // kept if the PGlite half is stopped at the runner's time limit
  if (postgresOnly) {
    const result = { date: new Date().toISOString(), machine: { before: loadBefore, after: await machineLoad() }, concurrency, sweep,
      postgres: { events: pgResult.events, eventsPerSecond: round(pgResult.eventsPerSecond), serverCpuMsPerBatch: round(pgResult.serverCpuMsPerBatch, 1), cpuUsPerEvent: pgResult.cpuUsPerEvent, endToEnd: pgResult.endToEnd }, intake: intakeEnv.SIYU_INGEST_INTAKE ?? process.env.SIYU_INGEST_INTAKE ?? 'auto',
      rawCopy: { rows: copy.rows, rowsPerSecond: round(copy.rowsPerSecond) }, postgresToRawCopy: round(pgResult.eventsPerSecond / copy.rowsPerSecond, 3) };
    log(`RESULT ingest (PostgreSQL only, intake ${result.intake}): accepted ${result.postgres.eventsPerSecond} events/s, ×${result.postgresToRawCopy} of raw COPY (${result.rawCopy.rowsPerSecond} rows/s); end to end ${pgResult.endToEnd.eventsPerSecond} events/s (×${round(pgResult.endToEnd.eventsPerSecond / copy.rowsPerSecond, 3)} of raw COPY)`);
    return saveResult('ingest-postgres', result);
  }

  const lite = await measurePglite(concurrency);
  const result = {
    date: new Date().toISOString(),
    machine: { before: loadBefore, after: await machineLoad() },
    batchSize: BATCH, knownPool, seconds, concurrency, sweep,
    postgres: { events: pgResult.events, seconds: round(pgResult.ms / 1000, 1), eventsPerSecond: round(pgResult.eventsPerSecond), failed: pgResult.failed, serverCpuMsPerBatch: round(pgResult.serverCpuMsPerBatch, 1), cpuUsPerEvent: pgResult.cpuUsPerEvent, endToEnd: pgResult.endToEnd },
    pglite: lite,
    rawCopy: { rows: copy.rows, seconds: round(copy.ms / 1000, 2), rowsPerSecond: round(copy.rowsPerSecond) },
    ratios: {
      pgliteToPostgres: round(lite.eventsPerSecond / pgResult.eventsPerSecond, 2),
      postgresToRawCopy: round(pgResult.eventsPerSecond / copy.rowsPerSecond, 3),
      // What counts: events applied (identities resolved, profiles touched), until the intake is drained.
      pgliteToPostgresEndToEnd: round(lite.endToEnd.eventsPerSecond / pgResult.endToEnd.eventsPerSecond, 2),
      postgresEndToEndToRawCopy: round(pgResult.endToEnd.eventsPerSecond / copy.rowsPerSecond, 3),
    },
  };
  log(`RESULT ingest: end to end PostgreSQL ${pgResult.endToEnd.eventsPerSecond} events/s (×${result.ratios.postgresEndToEndToRawCopy} of raw COPY ${result.rawCopy.rowsPerSecond} rows/s), PGlite ${lite.endToEnd.eventsPerSecond} events/s (×${result.ratios.pgliteToPostgresEndToEnd}); accepted ${result.postgres.eventsPerSecond} / ${result.pglite.eventsPerSecond} events/s`);
  saveResult('ingest', result);
}

/** PGlite: a fresh data folder, the same traffic at the same concurrency. */
async function measurePglite(concurrency: number) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-bench-pglite-'));
  log(`PGlite: fresh data folder ${dataDir}, starting siyu serve --no-demo, creating a workspace through it`);
  const liteEnv = { ...siyuEnv({ dataDir }), ...intakeEnv };
  let liteResult;
  let liteRss = NaN;
  try {
    // Server first, then the workspace through it (the CLI goes through the server that owns the folder): one
    // PGlite start-up instead of two.
    const liteServer = await startServer(liteEnv, { port: PORT + 1, nodeArgs: cpuProf });
    try {
      const liteWs = await createWorkspaceViaCli(liteEnv, 'bench ingest (PGlite)');
      await seed(liteServer.url, liteWs.writeKey, 'PGlite', liteWs.adminToken);
      liteResult = await measure(liteServer, liteWs, 'PGlite', 'literun', concurrency, seconds * 1000, 200_000);
      liteRss = liteServer.rssMb();
      log(`PGlite: ${liteResult.events} events in ${(liteResult.ms / 1000).toFixed(1)} s = ${Math.round(liteResult.eventsPerSecond)} events/s (N=${concurrency}); server CPU ${liteResult.serverCpuMsPerBatch.toFixed(1)} ms per batch (PGlite runs inside it); RSS ${Math.round(liteRss)} MB`);
    } finally {
      await liteServer.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); // the server may still be closing files
  }
  return { events: liteResult.events, seconds: round(liteResult.ms / 1000, 1), eventsPerSecond: round(liteResult.eventsPerSecond), failed: liteResult.failed, serverCpuMsPerBatch: round(liteResult.serverCpuMsPerBatch, 1), cpuUsPerEvent: liteResult.cpuUsPerEvent, endToEnd: liteResult.endToEnd, rssMb: round(liteRss) };
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
