/**
 * Journey fan-out on PostgreSQL: N profiles enter a journey (manual entry, one statement) whose first node sends a
 * webhook message to a sink on 127.0.0.1; measures steps/s (position moves + deliveries) end to end through the
 * outbox and the channel layer. Baseline in the same run: the same N webhook POSTs sent straight to the sink with
 * the same concurrency (the transport alone). `npx tsx bench/journeys.ts --profiles 20000`
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { createChannelConfig, setSecretKey } from '../src/modules/channels/index.js';
import { createTemplate } from '../src/modules/templates/index.js';
import { createJourney, enterManually, publishJourney, runJourneyPass } from '../src/modules/journeys/index.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { wireModules } from '../src/modules/wiring.js';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1] || fallback);
const PROFILES = process.argv.includes('--profiles') ? arg('profiles', 20_000) : 20_000;
const CONCURRENCY = 32;

async function main() {
  wireModules();
  setSecretKey(randomBytes(32));
  let received = 0;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.setHeader('content-type', 'application/json');
      res.end('{"id":"ok"}');
    });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;

  // Baseline: the transport alone.
  const t0 = performance.now();
  for (let i = 0; i < PROFILES; i += CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, PROFILES - i) }, () => fetch(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }).then((r) => r.text())));
  }
  const baselinePerSecond = PROFILES / ((performance.now() - t0) / 1000);

  const schema = `siyu_bench_journeys_${process.pid}`;
  const database = await openDatabase({ url: process.env.SIYU_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema, poolSize: 8 });
  try {
    await migrateToLatest(database.db);
    const ws = (await createWorkspace(database.db, { name: 'bench' })).id;
    await sql`INSERT INTO profiles (workspace_id, id, traits) SELECT ${ws}, g, '{}'::jsonb FROM generate_series(1, ${PROFILES}) g`.execute(database.db);
    const channel = await createChannelConfig(database.db, ws, { provider: 'webhook', name: 'sink', enabled: true, settings: { url, timeoutMs: 5_000, maxAttempts: 1, backoffMs: 0 }, secrets: { signingSecret: 's' } });
    const template = await createTemplate(database.db, ws, { name: 'hook', channel: 'webhook', parts: { body: '{"profileId": {{ profile.id | json }}}' } });
    const journey = await createJourney(database.db, ws, { name: 'fan-out', definition: { trigger: { type: 'manual' }, start: 'send', nodes: [{ id: 'send', type: 'send', channelId: channel.id, templateId: template.id, transactional: true }] } });
    await publishJourney(database.db, ws, journey.id);
    const ids = Array.from({ length: PROFILES }, (_, i) => i + 1);

    received = 0;
    const start = performance.now();
    for (let i = 0; i < ids.length; i += 10_000) await enterManually(database.db, ws, journey.id, ids.slice(i, i + 10_000), 'bench');
    const entered = performance.now();
    let moved = 0;
    let sent = 0;
    while (sent < PROFILES) {
      const c = await runJourneyPass(database.db, { publicUrl: 'http://127.0.0.1', chunk: 1_000, sendConcurrency: CONCURRENCY, schedules: false, workspaceId: ws });
      moved += c.moved;
      sent += c.sent;
      if (c.moved + c.sent === 0) break;
    }
    const seconds = (performance.now() - start) / 1000;
    const steps = moved + sent;
    console.log(JSON.stringify({
      profiles: PROFILES, entrySeconds: +((entered - start) / 1000).toFixed(2), seconds: +seconds.toFixed(2), moved, sent, sinkReceived: received,
      stepsPerSecond: Math.round(steps / seconds), sendsPerSecond: Math.round(sent / seconds), baselinePostsPerSecond: Math.round(baselinePerSecond),
      ratioSendsToBaseline: +((sent / seconds) / baselinePerSecond).toFixed(3),
    }, null, 2));
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(database.db);
    await database.close();
    sink.close();
  }
}

await main();
