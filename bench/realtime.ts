/**
 * Real-time rules, end to end, on PostgreSQL: while `siyu serve` ingests Segment batches at a target rate, probe
 * events go to people who do not hold the probe tag yet; each probe's latency is from its 200 (the event committed)
 * to the moment its rule tag is in the database. 50 rule tags and 20 segments are defined besides the probe tag.
 *
 *   npx tsx bench/realtime.ts [--profiles 20000] [--rates 500,1000,2000] [--seconds 20] [--probes 5]
 *
 * Schema siyu_bench_realtime (dropped first). --probes = probe events per second (each to a fresh person).
 */
import http from 'node:http';
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { wireModules } from '../src/modules/wiring.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { seedSyntheticData } from '../src/modules/demo/index.js';
import { createSegment } from '../src/modules/segments/index.js';
import { createTag, createTagGroup } from '../src/modules/tags/index.js';
import { basicAuth, percentile } from './lib/load.js';
import { resetSchema, withClient } from './lib/pg.js';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { PG_URL, siyuEnv, startServer } from './lib/server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const profiles = Number(arg('profiles', '20000'));
const rates = arg('rates', '500,1000,2000').split(',').map(Number);
const seconds = Number(arg('seconds', '20'));
const probesPerSecond = Number(arg('probes', '5'));
const SCHEMA = 'siyu_bench_realtime';
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
  const server = await startServer(siyuEnv({ schema: SCHEMA }), { port: 3921 });
  const results = [];
  try {
    let probe = 0;
    const ctx = { port: 3921, auth: basicAuth(ws.writeKey), probeTagId, nextProbe: () => 1 + (probe++ % profiles), seq: { n: 0 } };
    // Warm-up: the server's first passes (e.g. the daily recompute on start) run before it evaluates the feed.
    const warm = await runRate(0, { ...ctx, warmUp: true });
    log(`  warm-up (no load, ${warm.probes} probes): tagged ${warm.probesTagged}, p50 ${warm.p50} ms, max ${warm.max} ms`);
    for (const rate of rates) {
      const r = await runRate(rate, ctx);
      log(`  target ${rate} events/s: achieved ${r.achievedRate}/s (${r.failed} failed); probes tagged ${r.probesTagged}/${r.probes}: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`);
      results.push(r);
      // Let the evaluator catch up before the next rate, so rates do not inherit each other's backlog.
      for (let i = 0; i < 120; i++) {
        const left = await withClient(SCHEMA, async (c) => (await c.query('SELECT count(*)::int AS n FROM profile_changes')).rows[0].n as number);
        if (left === 0) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  } finally {
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
