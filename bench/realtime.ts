/**
 * Real-time rules, end to end, on PostgreSQL: while `siyu serve` ingests Segment batches at a target rate, probe
 * events go to people who do not hold the probe tag yet; each probe's latency is from its 200 (the event committed)
 * to the moment its rule tag is in the database. 50 rule tags and 20 segments are defined besides the probe tag.
 *
 *   npx tsx bench/realtime.ts [--profiles 20000] [--rates 500,1000,2000] [--seconds 20] [--probes 5] [--split]
 *
 * Schema siyu_bench_realtime (dropped first; --schema NAME for another one, e.g. to leave that one to
 * bench/realtime-decide.ts). --probes = probe events per second (each to a fresh person).
 * --split: ingest in `siyu serve --no-workers` and the rules worker in `siyu worker`, so each rate also reports the
 * CPU seconds of each process and of its PostgreSQL backends (where the machine's CPU goes).
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { wireModules } from '../src/modules/wiring.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { seedSyntheticData } from '../src/modules/demo/index.js';
import { createSegment, runDailyPass } from '../src/modules/segments/index.js';
import { createTag, createTagGroup } from '../src/modules/tags/index.js';
import { basicAuth, percentile } from './lib/load.js';
import { resetSchema, withClient } from './lib/pg.js';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { PG_URL, siyuEnv, startSiyu, type SiyuProcess } from './lib/server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const profiles = Number(arg('profiles', '20000'));
const rates = arg('rates', '500,1000,2000').split(',').map(Number);
const seconds = Number(arg('seconds', '20'));
const probesPerSecond = Number(arg('probes', '5'));
const split = process.argv.includes('--split');
/** --setup-only: seed the schema (for bench/realtime-decide.ts and realtime-profile.ts) and stop. */
const setupOnly = process.argv.includes('--setup-only');

/** CPU seconds (user + system) of a process, 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving a process: its sockets to port 5432, matched to backends by client port. */
async function backendsOf(pid: number): Promise<number[]> {
  const ports = execSync('ss -tnp', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(`pid=${pid},`) && /:5432\s/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[3]!.split(':').at(-1)));
  if (ports.length === 0) return [];
  return withClient(SCHEMA, async (c) => (await c.query('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [ports])).rows.map((r: { pid: number }) => r.pid));
}

/**
 * CPU used by each process and its backends between start() and the returned stop(). The backends are sampled every
 * 250 ms (and looked up again every second), each keeping its last figure: a backend that closes during the window
 * (the pool drops idle connections) counts what it used until then, not minus its starting figure.
 */
async function cpuWindow(procs: Record<string, SiyuProcess>) {
  const seen = new Map<string, { pid: number; start: number; startPg: Map<number, number>; lastPg: Map<number, number> }>();
  for (const [name, p] of Object.entries(procs)) {
    const backends = await backendsOf(p.child.pid!);
    const startPg = new Map(backends.map((b) => [b, cpuSeconds(b)]));
    seen.set(name, { pid: p.child.pid!, start: cpuSeconds(p.child.pid!), startPg, lastPg: new Map(startPg) });
  }
  let ticks = 0;
  let sampling = Promise.resolve();
  const sample = async () => {
    for (const s of seen.values()) {
      // Backends opened during the window are counted from zero (they started in it).
      if (ticks % 4 === 0) for (const b of await backendsOf(s.pid)) if (!s.lastPg.has(b)) s.lastPg.set(b, 0);
      for (const b of s.lastPg.keys()) {
        const cpu = cpuSeconds(b);
        if (cpu > 0) s.lastPg.set(b, cpu);
      }
    }
    ticks++;
  };
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => undefined);
  }, 250);
  const machine = () => fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const m0 = machine();
  const t0 = performance.now();
  return async () => {
    clearInterval(timer);
    await sampling;
    ticks = 0;
    await sample();
    const out: Record<string, { process: number; postgres: number }> = {};
    for (const [name, s] of seen) {
      let pg = 0;
      for (const [b, cpu] of s.lastPg) pg += cpu - (s.startPg.get(b) ?? 0);
      out[name] = { process: round(cpuSeconds(s.pid) - s.start, 1), postgres: round(pg, 1) };
    }
    const m1 = machine();
    const busy = (v: number[]) => v.reduce((a, b) => a + b, 0) - v[3]! - v[4]!;
    return { seconds: round((performance.now() - t0) / 1000, 1), machineBusy: round((busy(m1) - busy(m0)) / 100, 1), processes: out };
  };
}
const SCHEMA = arg('schema', 'siyu_bench_realtime');
const EVENTS = ['Product Viewed', 'Product Added', 'App Opened', 'Ad Clicked', 'Product Reviewed'];

async function setUp() {
  await resetSchema(SCHEMA);
  const database = await openDatabase({ url: PG_URL, schema: SCHEMA, poolSize: 4 });
  try {
    await migrateToLatest(database.db);
    const ws = await createWorkspace(database.db, { name: 'bench realtime' });
    const t = performance.now();
    await seedSyntheticData(database.db, ws.id, { profiles });
    log(`seeded ${profiles} profiles (10 events, 2 orders each) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const group = await createTagGroup(database.db, ws.id, { name: 'bench', category: 'activity' });
    for (let i = 0; i < 50; i++) {
      await createTag(database.db, ws.id, { groupId: group.id, name: `t${i}`, rule: { version: 1, condition: { kind: 'event', event: EVENTS[i % 5]!, window: { type: 'last_days', days: 7 + i }, count: { op: 'gte', value: 1 + (i % 3) } } } });
    }
    for (let i = 0; i < 20; i++) {
      await createSegment(database.db, ws.id, { name: `s${i}`, rule: { version: 1, condition: { kind: 'and', conditions: [
        { kind: 'trait', trait: 'age', type: 'number', op: 'gte', value: 18 + i },
        { kind: 'order', measure: 'count', op: 'gte', value: 1 + (i % 3), window: { type: 'last_days', days: 30 + i * 10 } },
      ] } } });
    }
    const probe = await createTag(database.db, ws.id, { groupId: group.id, name: 'probe', rule: { version: 1, condition: { kind: 'event', event: 'Bench Probe', window: { type: 'last_days', days: 1 }, count: { op: 'gte', value: 1 } } } });
    await sql`DELETE FROM profile_changes WHERE workspace_id = ${ws.id}`.execute(database.db);
    log(`defined 50 rule tags, 20 segments and the probe tag (each materialised) in ${((performance.now() - t) / 1000).toFixed(1)} s since seeding began`);
    return { ws, probeTagId: probe.id };
  } finally {
    await database.close();
  }
}

function post(agent: http.Agent, port: number, path: string, auth: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers: { authorization: auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function runRate(rate: number, ctx: { port: number; auth: string; probeTagId: string; nextProbe: () => number; seq: { n: number }; warmUp?: boolean }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 48 });
  const started = performance.now();
  const end = started + (ctx.warmUp ? 2 : seconds) * 1000;
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  const outstanding = new Map<string, number>(); // userId → time its probe was acknowledged
  const latencies: number[] = [];
  let probesSent = 0;
  const sendBatch = async (n: number) => {
    const batch = Array.from({ length: n }, () => {
      const k = 1 + Math.floor(Math.random() * profiles);
      const s = ctx.seq.n++;
      return Math.random() < 0.1
        ? { type: 'page', anonymousId: `rt-anon-${s}`, name: 'Home', messageId: `rt-${s}` }
        : { type: 'track', userId: `bench-u${k}`, event: EVENTS[s % EVENTS.length], properties: { sku: 'LJ-SERUM-30' }, messageId: `rt-${s}` };
    });
    inFlight++;
    try {
      const status = await post(agent, ctx.port, '/v1/batch', ctx.auth, JSON.stringify({ batch }));
      if (status === 200) sent += n;
      else failed += n;
    } catch {
      failed += n;
    } finally {
      inFlight--;
    }
  };
  const sendProbe = async () => {
    const userId = `bench-u${ctx.nextProbe()}`;
    const s = ctx.seq.n++;
    const status = await post(agent, ctx.port, '/v1/track', ctx.auth, JSON.stringify({ userId, event: 'Bench Probe', messageId: `rt-probe-${s}` }));
    if (status === 200) {
      outstanding.set(userId, performance.now());
      probesSent++;
    }
  };
  // The poller: which acknowledged probes have their tag now (one query for all of them, every 20 ms).
  let polling = true;
  const poller = (async () => {
    await withClient(SCHEMA, async (c) => {
      while (polling || outstanding.size) {
        if (outstanding.size) {
          const ids = [...outstanding.keys()];
          const { rows } = await c.query(
            `SELECT i.value FROM identifiers i JOIN tag_assignments t ON t.workspace_id = i.workspace_id AND t.profile_id = i.profile_id AND t.tag_id = $1
             WHERE i.type = 'userId' AND i.value = ANY($2::text[])`, [ctx.probeTagId, ids]);
          const now = performance.now();
          for (const r of rows as Array<{ value: string }>) {
            const t0 = outstanding.get(r.value);
            if (t0 !== undefined) latencies.push(now - t0);
            outstanding.delete(r.value);
          }
          if (!polling && now - end > (ctx.warmUp ? 180_000 : 60_000)) break; // give up on the rest after a minute
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  })();
  // Open loop in 100 ms ticks, with at most 48 batches in flight (beyond that the server is simply not keeping up).
  const perTick = rate / 10;
  let due = 0;
  let tick = 0;
  const pending: Promise<void>[] = [];
  while (performance.now() < end) {
    due += perTick;
    while (due >= 1 && inFlight < 48) {
      const n = Math.min(100, Math.floor(due));
      due -= n;
      pending.push(sendBatch(n));
    }
    if (tick % Math.max(1, Math.round(10 / probesPerSecond)) === 0) pending.push(sendProbe());
    tick++;
    const next = started + tick * 100;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  await Promise.all(pending);
  const sendMs = performance.now() - started;
  polling = false;
  await poller;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    targetRate: rate, achievedRate: round(sent / (sendMs / 1000)), failed, probes: probesSent, probesTagged: latencies.length,
    p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0),
  };
}

async function main() {
  wireModules();
  const loadBefore = await machineLoad();
  log(`real-time rules benchmark: ${profiles} profiles, rates ${rates.join(', ')} events/s, ${seconds} s each, ${probesPerSecond} probes/s; ${loadBefore}`);
  const { ws, probeTagId } = await setUp();
  if (setupOnly) {
    // As the server's first daily pass leaves it (stages, RFM), which the rates run after.
    const database = await openDatabase({ url: PG_URL, schema: SCHEMA, poolSize: 4 });
    try {
      await runDailyPass(database.db, ws.id, new Date());
    } finally {
      await database.close();
    }
    log('daily pass done');
    return;
  }
  // Started by hand rather than with startServer: on a loaded machine (load 40) loading the sources took over 120 s.
  const server = startSiyu(['serve', '--port', '3921', '--host', '127.0.0.1', '--no-demo', ...(split ? ['--no-workers'] : [])], siyuEnv({ schema: SCHEMA }));
  await server.waitFor(/Siyu is serving/, 600_000);
  const worker = split ? startSiyu(['worker'], siyuEnv({ schema: SCHEMA })) : undefined;
  if (worker) await worker.waitFor(/^ready$/, 600_000);
  const procs: Record<string, SiyuProcess> = worker ? { ingest: server, worker } : { server };
  const results = [];
  try {
    let probe = 0;
    const ctx = { port: 3921, auth: basicAuth(ws.writeKey), probeTagId, nextProbe: () => 1 + (probe++ % profiles), seq: { n: 0 } };
    // Warm-up: the server's first passes (e.g. the daily recompute on start) run before it evaluates the feed.
    const warm = await runRate(0, { ...ctx, warmUp: true });
    log(`  warm-up (no load, ${warm.probes} probes): tagged ${warm.probesTagged}, p50 ${warm.p50} ms, max ${warm.max} ms`);
    // The daily pass (every rule over the whole workspace, once a day and at a worker's start) runs beside real time;
    // the rates measure real time once it is over (--during-daily: while it runs, as right after a start).
    if (!process.argv.includes('--during-daily')) {
      const line = await (worker ?? server).waitFor(/daily pass of \S+ done in/, 600_000);
      log(`  daily pass over: ${/done in [\d.]+ s/.exec(line)?.[0] ?? line}`);
    }
    for (const rate of rates) {
      const cpu = await cpuWindow(procs);
      const r = await runRate(rate, ctx);
      const used = await cpu();
      log(`  target ${rate} events/s: achieved ${r.achievedRate}/s (${r.failed} failed); probes tagged ${r.probesTagged}/${r.probes}: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`);
      const ours = Object.values(used.processes).reduce((a, v) => a + v.process + v.postgres, 0);
      const events = r.achievedRate * seconds;
      log(`    CPU seconds in ${used.seconds} s (2 cores = ${round(2 * used.seconds)}): ${JSON.stringify(used)}; server + backends ${round((ours * 1e6) / events)} µs per event sent; ${await machineLoad()}`);
      results.push({ ...r, cpu: used });
      // Let the evaluator catch up before the next rate, so rates do not inherit each other's backlog.
      for (let i = 0; i < 120; i++) {
        const left = await withClient(SCHEMA, async (c) => (await c.query('SELECT count(*)::int AS n FROM profile_changes')).rows[0].n as number);
        if (left === 0) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
    await worker?.stop();
    await server.stop();
  }
  const result = { date: new Date().toISOString(), machine: { before: loadBefore, after: await machineLoad() }, profiles, seconds, probesPerSecond, rates: results };
  saveResult('realtime', result);
  log(`RESULT realtime: ${results.map((r) => `${r.achievedRate}/s → p99 ${r.p99} ms`).join('; ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
