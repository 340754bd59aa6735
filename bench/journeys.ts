/**
 * Journeys on PostgreSQL. `npx tsx bench/journeys.ts --profiles 20000 [--entry segment|manual] [--concurrency 32]
 * [--batch 256] [--per-row]`
 *
 * Fan-out: N profiles enter a journey whose first node sends a webhook message to a sink on 127.0.0.1 (its own
 * process, like a real receiver); measures steps/s (position moves + deliveries) end to end through the outbox and
 * the channel layer. Entry (default `segment`): a rule segment the journey starts from is changed to match all N
 * (the rules tier writes N Segment Entered events; the journey passes read them and enter the people), or `manual`
 * (one entry statement per 10,000). Baselines in the same run: the same N POSTs sent straight to the sink with the
 * same concurrency, with the webhook adapter's keep-alive `node:http` client (the transport the sender uses) and with
 * `fetch` (the earlier transport). `--per-row` also runs the previous per-message sender (manual entry).
 *
 * Timers (`--timers 100000`): that many people wait on the same wait node; their due time is set to one instant T
 * (as "wait until the same minute" leaves them) and the journey worker's passes release them; reports when the last
 * was released after T, and the latency of single timers due during the release (one every 0.5 s).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { down as stepsKeysDown } from '../src/platform/db/migrations/0254_journey_steps_keys.js';
import { createChannelConfig, setSecretKey } from '../src/modules/channels/index.js';
import { createTemplate } from '../src/modules/templates/index.js';
import { advanceDue, claimOutbox, createJourney, deliverOutboxRow, enterManually, publishJourney, runJourneyPass } from '../src/modules/journeys/index.js';
import { postText } from '../src/modules/channels/webhook/http-post.js';
import { createSegment, updateSegment } from '../src/modules/segments/index.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { wireModules } from '../src/modules/wiring.js';

const flag = (name: string) => process.argv.includes(`--${name}`);
const arg = (name: string, fallback: number) => {
  const value = flag(name) ? Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) : NaN;
  return Number.isFinite(value) ? value : fallback;
};
const PROFILES = arg('profiles', 20_000);
const CONCURRENCY = arg('concurrency', 32);
const UNRECORDED = arg('unrecorded', 4 * CONCURRENCY);
/** POSTs per baseline (a rate: at most 20,000 unless told, so a 1,000,000 run does not spend its time on baselines). */
const BASELINE_POSTS = arg('baseline-posts', Math.min(PROFILES, 20_000));
const BATCH = arg('batch', 256);
const UNDERWAY = arg('underway', 2);
const MOVERS = arg('movers', 1);
/** Answer group writes under way at once (`--writers 1`: one at a time, the code before session 7). */
const WRITERS = arg('writers', 2);
const TIMERS = arg('timers', 0);
/** How people enter the fan-out journey: `segment` (a rule segment is created; its Segment Entered events enter them) or `manual`. */
const ENTRY = process.argv.includes('--entry') ? process.argv[process.argv.indexOf('--entry') + 1] : 'segment';
/**
 * `--old`: the code before session 5 for A/B runs in one checkout: journey_steps with its four indexes (migration
 * 0254 rolled back in the bench's own schema) and no hand-off of outbox rows from the mover to the sender.
 */
const OLD = flag('old');
/** Progress on stderr every this many seconds (0: none); default 30 from 100,000 profiles. */
const PROGRESS = arg('progress', PROFILES >= 100_000 ? 30 : 0);

/** The bench's PostgreSQL connections are named so that their backends' CPU can be read (watchBackends). */
const APP_NAME = `siyu-bench-journeys-${process.pid}`;
process.env.PGAPPNAME = APP_NAME;

/** `--timings`: every SQL statement timed by wrapping pg's Client.query (label: verb + first table), printed at the end. */
const timings = new Map<string, { n: number; ms: number }>();
if (flag('timings')) {
  const pg = (await import('pg')).default;
  const label = (text: string) => {
    const t = text.replace(/\s+/g, ' ').trim();
    const m = t.match(/^(WITH|INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM|SELECT|BEGIN|COMMIT|ROLLBACK)\s*([a-z_"]+)?/i);
    return m ? `${m[1]!.startsWith('SELECT') ? 'SELECT' : m[1]} ${m[2] ?? ''}`.trim() : t.slice(0, 40);
  };
  const origQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : first?.text;
    const result = origQuery.apply(this, args);
    if (!text || !(result instanceof Promise)) return result;
    const t0 = performance.now();
    return result.then((r: unknown) => {
      const agg = timings.get(label(text)) ?? { n: 0, ms: 0 };
      agg.n++;
      agg.ms += performance.now() - t0;
      timings.set(label(text), agg);
      return r;
    });
  };
}

/**
 * `--statement-cpu`: each of the bench's PostgreSQL sessions logs every statement's CPU to the server log
 * (log_statement_stats, with the statement text); summarise it with bench/pg-statement-cpu.ts.
 */
if (flag('statement-cpu')) {
  const pg = (await import('pg')).default;
  const connect = pg.Client.prototype.connect as unknown as (this: InstanceType<typeof pg.Client>) => Promise<unknown>;
  type Callback = (err: Error | null, client?: unknown) => void;
  (pg.Client.prototype as unknown as { connect: (cb?: Callback) => unknown }).connect = function (this: InstanceType<typeof pg.Client>, cb?: Callback) {
    const ready = connect.call(this).then(() => this.query('SET log_statement_stats = on; SET log_min_error_statement = log')).then(() => undefined);
    if (!cb) return ready;
    ready.then(() => cb(null, this), (err: Error) => cb(err));
    return undefined;
  };
}

// ---- the sink: a child process answering every POST with {"id":"ok"}, counting them (GET /count).
if (process.env.JR_BENCH_SINK === '1') {
  const http = await import('node:http');
  let received = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/cpu') {
      const u = process.cpuUsage();
      return void res.end(String((u.user + u.system) / 1000));
    }
    if (req.method === 'GET') return void res.end(String(received));
    req.resume();
    req.on('end', () => {
      received += 1;
      res.setHeader('content-type', 'application/json');
      res.end('{"id":"ok"}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
} else {
  await main();
}

async function startSink(): Promise<{ url: string; count: () => Promise<number>; cpuMs: () => Promise<number>; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, JR_BENCH_SINK: '1' }, execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const base = `http://127.0.0.1:${port}`;
  return { url: `${base}/hook`, child, count: async () => Number(await (await fetch(base)).text()), cpuMs: async () => Number(await (await fetch(`${base}/cpu`)).text()) };
}

/**
 * CPU of this bench's PostgreSQL backends (its connections carry application_name APP_NAME), from
 * /proc/<pid>/schedstat, polled every 500 ms (a backend's last reading counts if it exits before the end): with the
 * bench's own and the sink's process CPU, the cost per person that a busy machine does not distort.
 */
function watchBackends(database: Database) {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const cpuMs = (pid: number) => {
    try {
      return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    } catch {
      return 0;
    }
  };
  let fresh = true;
  const poll = async () => {
    const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE application_name = ${APP_NAME}`.execute(database.db);
    for (const { pid } of rows) {
      const cpu = cpuMs(pid);
      if (!first.has(pid)) first.set(pid, fresh ? cpu : 0);
      if (cpu > 0) last.set(pid, cpu);
    }
    fresh = false;
  };
  let timer: NodeJS.Timeout | undefined;
  const started = poll().then(() => void (timer = setInterval(() => void poll().catch(() => {}), 500)));
  return {
    started,
    async stop(): Promise<number> {
      clearInterval(timer);
      await poll();
      let total = 0;
      for (const [pid, cpu] of last) total += cpu - (first.get(pid) ?? 0);
      return total;
    },
  };
}

/** The transport alone: N POSTs to the sink, CONCURRENCY at a time, with `fetch` or with the webhook adapter's keep-alive `node:http` client. */
async function baseline(url: string, n: number, via: 'fetch' | 'http'): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const headers = { 'content-type': 'application/json' };
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next += 1;
        if (via === 'fetch') await fetch(url, { method: 'POST', body: '{}', headers }).then((r) => r.text());
        else await postText(url, headers, '{}', 5_000);
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

async function setup(database: Database, url: string, profiles: number) {
  await migrateToLatest(database.db);
  if (OLD) await stepsKeysDown(database.db as never);
  const ws = (await createWorkspace(database.db, { name: 'bench' })).id;
  // Set-based, 250,000 people per statement (a 1,000,000 seed takes a minute or so, not one huge transaction).
  for (let from = 1; from <= profiles; from += 250_000) {
    await sql`INSERT INTO profiles (workspace_id, id, traits) SELECT ${ws}, g, '{"cohort": "fanout"}'::jsonb FROM generate_series(${from}::int, ${Math.min(profiles, from + 249_999)}::int) g`.execute(database.db);
  }
  await sql`ANALYZE profiles`.execute(database.db); // a live database of that many people has statistics
  const channel = await createChannelConfig(database.db, ws, { provider: 'webhook', name: 'sink', enabled: true, settings: { url, timeoutMs: 5_000, maxAttempts: 1, backoffMs: 0 }, secrets: { signingSecret: 's' } });
  const template = await createTemplate(database.db, ws, { name: 'hook', channel: 'webhook', parts: { body: '{"profileId": {{ profile.id | json }}}' } });
  return { ws, channel, template };
}

async function journeyOf(database: Database, ws: string, name: string, definition: unknown) {
  const journey = await createJourney(database.db, ws, { name, definition });
  await publishJourney(database.db, ws, journey.id);
  return journey;
}

/**
 * Entry in chunks of 10,000. Tables filled in bulk a moment ago have no statistics yet; with none, the entry
 * statement's re-entry check and profile join are planned as nested loops over the whole journey / workspace
 * (quadratic: a 100,000-person entry did not finish in 5 minutes). A live database has statistics (autovacuum), so
 * the bench analyses the two tables before each chunk, as autovacuum would have.
 */
async function enterAll(database: Database, ws: string, journeyId: string, ids: number[]) {
  for (let i = 0; i < ids.length; i += 10_000) {
    await sql`ANALYZE profiles, journey_entries`.execute(database.db);
    await enterManually(database.db, ws, journeyId, ids.slice(i, i + 10_000), 'bench');
  }
}

/**
 * One fan-out run: entry, then journey passes (or the per-row sender) until every message is recorded. Segment entry:
 * the journey is published on `segment_entered` of a rule segment matching nobody; then its rule is changed to
 * trait cohort = fanout (every profile), which materialises its members and writes one Segment Entered event each; the journey passes read those
 * events (consumeEvents) and enter the people. The clock starts before the segment is created; `segmentSeconds` is the
 * rules tier's part (membership + events), `entrySeconds` (manual entry only) the entry statements.
 */
async function fanOut(database: Database, ws: string, sendNode: Record<string, unknown>, ids: number[], perRow: boolean) {
  const bySegment = ENTRY === 'segment' && !perRow;
  const cohort = (value: string) => ({ version: 1 as const, condition: { kind: 'trait' as const, trait: 'cohort', type: 'string' as const, op: 'eq' as const, value } });
  // The segment first matches nobody; the journey is published on it; then its rule is changed to match everyone.
  const segment = bySegment ? await createSegment(database.db, ws, { name: 'fan-out cohort', rule: cohort('nobody') }) : null;
  const trigger = segment ? { type: 'segment_entered', segmentId: segment.id } : { type: 'manual' };
  const journey = await journeyOf(database, ws, perRow ? 'fan-out per row' : 'fan-out', { trigger, start: 'send', nodes: [{ id: 'send', type: 'send', ...sendNode }] });
  const start = performance.now();
  const phases: { allEnteredAt?: number; allMovedAt?: number } = {};
  if (segment) await updateSegment(database.db, ws, segment.id, { rule: cohort('fanout') });
  else await enterAll(database, ws, journey.id, ids);
  const entered = performance.now();
  let moved = 0;
  let sent = 0;
  const passes: Array<Record<string, number>> = [];
  if (perRow) {
    for (let n = 1_000; n === 1_000; ) moved += n = await advanceDue(database.db, new Date(), 1_000, ws);
    for (;;) {
      const rows = await claimOutbox(database.db, new Date(), CONCURRENCY, 60_000, ws);
      if (rows.length === 0) break;
      await Promise.all(rows.map((row) => deliverOutboxRow(database.db, 'http://127.0.0.1', row)));
      sent += rows.length;
    }
  } else {
    let idleSince: number | undefined;
    // Live counters of the pass under way (a 1,000,000 run is one long pass): progress lines, and when each phase ended.
    let current = { events: 0, moved: 0, sent: 0 };
    let events = 0;
    const sample = () => {
      const at = +((performance.now() - start) / 1000).toFixed(1);
      const now = { events: events + current.events, moved: moved + current.moved, sent: sent + current.sent };
      if (phases.allEnteredAt === undefined && now.events >= ids.length) phases.allEnteredAt = at;
      if (phases.allMovedAt === undefined && now.moved >= ids.length) phases.allMovedAt = at;
      return { at, ...now };
    };
    const sampler = setInterval(sample, 500);
    // Interrupted (SIGINT) before the end: what was reached, the phases and the statements so far; the schema is left
    // for the operator to drop (DROP SCHEMA siyu_bench_journeys_<pid> CASCADE).
    process.once('SIGINT', () => {
      const reached = sample();
      const statements = Object.fromEntries([...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25).map(([k, v]) => [k, `${v.n} × ${(v.ms / v.n).toFixed(1)} ms = ${Math.round(v.ms)} ms`]));
      console.log(JSON.stringify({ interrupted: true, reached, stepsPerSecond: Math.round((reached.moved + reached.sent) / reached.at), phases, loadAtEnd: loadavg().map((l) => +l.toFixed(1)), statements }, null, 2));
      process.exit(130);
    });
    const printer = PROGRESS > 0 ? setInterval(() => process.stderr.write(`progress ${JSON.stringify(sample())} load ${(loadavg()[0] ?? 0).toFixed(1)}\n`), PROGRESS * 1000) : undefined;
    while (sent < ids.length) {
      const t = performance.now();
      current = { events: 0, moved: 0, sent: 0 };
      const c = await runJourneyPass(database.db, { publicUrl: 'http://127.0.0.1', chunk: 1_000, sendConcurrency: CONCURRENCY, maxUnrecorded: UNRECORDED, sendBatch: BATCH, schedules: false, workspaceId: ws, handoff: !OLD, counts: current, sendBatchesUnderway: UNDERWAY, movers: MOVERS, answerWriters: WRITERS });
      current = { events: 0, moved: 0, sent: 0 };
      events += c.events;
      moved += c.moved;
      sent += c.sent;
      passes.push({ ...c, seconds: +((performance.now() - t) / 1000).toFixed(2) });
      // A pass can find nothing while the event feed waits for writers to end; the worker would poll again.
      // (The feed waits for every transaction running in the cluster at its read: a long one elsewhere stalls entry.)
      idleSince = c.events + c.moved + c.sent === 0 ? (idleSince ?? Date.now()) : undefined;
      if (idleSince !== undefined && Date.now() - idleSince > 120_000) break;
      if (idleSince !== undefined) await new Promise((r) => setTimeout(r, 50));
    }
    clearInterval(sampler);
    clearInterval(printer);
    sample();
  }
  const seconds = (performance.now() - start) / 1000;
  const recorded = await database.db.selectFrom('channel_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', ws).where('status', '=', 'sent')
    .where(sql<boolean>`context->>'journeyId' = ${journey.id}`).executeTakeFirstOrThrow();
  return { entry: bySegment ? 'segment' : 'manual', [bySegment ? 'segmentSeconds' : 'entrySeconds']: +((entered - start) / 1000).toFixed(2), entered: Number((await database.db.selectFrom('journey_entries').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', ws).where('journey_id', '=', journey.id).executeTakeFirstOrThrow()).n), seconds: +seconds.toFixed(2), moved, sent, recordedSent: Number(recorded.n), stepsPerSecond: Math.round((moved + sent) / seconds), sendsPerSecond: Math.round(sent / seconds), phases, passes: passes.slice(0, 5) };
}

async function timers(database: Database, ws: string, n: number) {
  const wait = (id: string, days: number) => ({ id, type: 'wait', duration: { days, hours: 0, minutes: 0, seconds: 0 } });
  const definition = { trigger: { type: 'manual' }, start: 'w', nodes: [wait('w', 1), wait('after', 30)], edges: [{ from: 'w', to: 'after' }] };
  const crowd = await journeyOf(database, ws, 'timers', definition);
  const singles = await journeyOf(database, ws, 'single timers', definition);
  await sql`INSERT INTO profiles (workspace_id, id, traits) SELECT ${ws}, g, '{}'::jsonb FROM generate_series(${PROFILES + 1}::int, ${PROFILES + n + 100}::int) g ON CONFLICT DO NOTHING`.execute(database.db);
  const t0 = performance.now();
  await enterAll(database, ws, crowd.id, Array.from({ length: n }, (_, i) => PROFILES + 1 + i));
  await enterAll(database, ws, singles.id, Array.from({ length: 100 }, (_, i) => PROFILES + n + 1 + i));
  for (let moved = 1; moved > 0; ) moved = await advanceDue(database.db, new Date(), 2_000, ws); // everyone arrives at the wait
  const setupSeconds = (performance.now() - t0) / 1000;
  // Everyone due at the same instant T; single timers due every 0.5 s after it.
  const T = new Date(Date.now() + 5_000);
  await sql`UPDATE journey_entries SET due_at = ${T} WHERE workspace_id = ${ws} AND journey_id = ${crowd.id}`.execute(database.db);
  await sql`UPDATE journey_entries e SET due_at = ${T}::timestamptz + (s.rn * interval '500 milliseconds')
    FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM journey_entries WHERE workspace_id = ${ws} AND journey_id = ${singles.id}) s
    WHERE e.workspace_id = ${ws} AND e.id = s.id`.execute(database.db);
  while (Date.now() < T.getTime()) await new Promise((r) => setTimeout(r, 20));
  const deadline = Date.now() + 300_000;
  for (;;) {
    await runJourneyPass(database.db, { publicUrl: 'http://127.0.0.1', chunk: 1_000, schedules: false, workspaceId: ws });
    const left = await database.db.selectFrom('journey_entries').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', ws).where('node_id', '=', 'w').executeTakeFirstOrThrow();
    if (Number(left.n) === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50)); // the worker polls; singles become due meanwhile
  }
  const singleIds = (await database.db.selectFrom('journey_entries').select('id').where('workspace_id', '=', ws).where('journey_id', '=', singles.id).orderBy('id').execute()).map((e) => Number(e.id));
  const dueOf = new Map(singleIds.map((id, i) => [id, T.getTime() + (i + 1) * 500]));
  const steps = await database.db.selectFrom('journey_steps').select(['journey_id', 'entry_id', 'at']).where('workspace_id', '=', ws).where('node_id', '=', 'w').where('outcome', '=', 'waited').execute();
  const latency = (s: (typeof steps)[number]) => new Date(s.at).getTime() - (s.journey_id === crowd.id ? T.getTime() : dueOf.get(Number(s.entry_id))!);
  const pct = (xs: number[], p: number) => Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))] ?? NaN);
  const crowdLat = steps.filter((r) => r.journey_id === crowd.id).map(latency);
  const singleLat = steps.filter((r) => r.journey_id === singles.id).map(latency);
  return {
    waiting: n, setupSeconds: +setupSeconds.toFixed(1), released: crowdLat.length,
    lastReleasedAfterSeconds: +(Math.max(...crowdLat) / 1000).toFixed(2), medianReleaseSeconds: +(pct(crowdLat, 50) / 1000).toFixed(2),
    singleTimers: singleLat.length, singleP50Ms: pct(singleLat, 50), singleP99Ms: pct(singleLat, 99), singleMaxMs: Math.round(Math.max(...singleLat)),
  };
}

async function main() {
  wireModules();
  setSecretKey(randomBytes(32));
  const sink = await startSink();
  const schema = `siyu_bench_journeys_${process.pid}`;
  const database = await openDatabase({ url: process.env.SIYU_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema, poolSize: 8 });
  try {
    const t0 = performance.now();
    const { ws, channel, template } = await setup(database, sink.url, PROFILES);
    const out: Record<string, unknown> = { profiles: PROFILES, code: OLD ? 'old' : 'new', baselinePosts: BASELINE_POSTS, entry: ENTRY, concurrency: CONCURRENCY, maxUnrecorded: UNRECORDED, batch: BATCH, underway: UNDERWAY, movers: MOVERS, writers: WRITERS, setupSeconds: +((performance.now() - t0) / 1000).toFixed(1), loadAtStart: loadavg().map((l) => +l.toFixed(1)) };
    if (PROFILES > 0) {
      const fetchBaseline = await baseline(sink.url, BASELINE_POSTS, 'fetch');
      const baselinePerSecond = await baseline(sink.url, BASELINE_POSTS, 'http');
      const ids = Array.from({ length: PROFILES }, (_, i) => i + 1);
      const before = await sink.count();
      const node = { channelId: channel.id, templateId: template.id, transactional: true };
      const backends = watchBackends(database);
      await backends.started;
      const [ownBefore, sinkBefore] = [process.cpuUsage(), await sink.cpuMs()];
      const batched = await fanOut(database, ws, node, ids, false);
      const own = process.cpuUsage(ownBefore);
      const cpu = { bench: (own.user + own.system) / 1000, sink: (await sink.cpuMs()) - sinkBefore, postgres: await backends.stop() };
      const perPerson = (ms: number) => +((ms * 1000) / PROFILES).toFixed(1);
      out.cpuMicrosPerPerson = { total: perPerson(cpu.bench + cpu.sink + cpu.postgres), bench: perPerson(cpu.bench), postgres: perPerson(cpu.postgres), sink: perPerson(cpu.sink) };
      const received = (await sink.count()) - before;
      Object.assign(out, { batched: { ...batched, sinkReceived: received, ratioSendsToBaseline: +(batched.sendsPerSecond / baselinePerSecond).toFixed(3) }, baselinePostsPerSecond: Math.round(baselinePerSecond), fetchBaselinePostsPerSecond: Math.round(fetchBaseline) });
      if (flag('per-row')) {
        const perRow = await fanOut(database, ws, node, ids, true);
        Object.assign(out, { perRow: { ...perRow, ratioSendsToBaseline: +(perRow.sendsPerSecond / baselinePerSecond).toFixed(3) }, speedupBatchedOverPerRow: +(batched.stepsPerSecond / perRow.stepsPerSecond).toFixed(1) });
      }
    }
    if (TIMERS > 0) out.timers = await timers(database, ws, TIMERS);
    out.loadAtEnd = loadavg().map((l) => +l.toFixed(1));
    // Row writes in the bench's own schema (inserted + updated + deleted, per table and per person): the part of the
    // cost that does not move with the machine's load.
    if (PROFILES > 0) {
      await new Promise((r) => setTimeout(r, 1_500)); // backends report their counters within a second of going idle
      const { rows } = await sql<{ relname: string; writes: string }>`
        SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::text AS writes FROM pg_stat_user_tables
        WHERE schemaname = ${schema} AND n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY 2 DESC`.execute(database.db);
      const total = rows.reduce((a, r) => a + Number(r.writes), 0);
      out.rowWrites = { perPerson: +(total / PROFILES).toFixed(2), byTable: Object.fromEntries(rows.map((r) => [r.relname, +(Number(r.writes) / PROFILES).toFixed(2)])) };
    }
    if (timings.size) out.statements = Object.fromEntries([...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25).map(([k, v]) => [k, `${v.n} × ${(v.ms / v.n).toFixed(1)} ms = ${Math.round(v.ms)} ms`]));
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(database.db);
    await database.close();
    sink.child.kill();
  }
}
