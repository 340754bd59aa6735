/**
 * Reading a profile in a workspace with many identity conflicts (PostgreSQL, schema siyu_bench_view, dropped first):
 *
 *   npx tsx bench/profile-view.ts [--people 20000] [--conflicts 20000] [--lookups 3000]
 *
 * Seeds --people people (identify calls through ingest), times --lookups sequential lookups by userId through the
 * profiles module (the 360° view: identifiers, merges, conflicts, absorbed ids), then records --conflicts conflicts
 * between them and times the same lookups again. The first pass is the baseline: the ratio should stay near 1.
 * Until migration 0010 each read scanned every conflict of the workspace (×500–600 at 20,000 conflicts).
 */
import pg from 'pg';
import { sql } from 'kysely';
import { createPostgresDialect } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { Kysely } from 'kysely';
import type { DB } from '../src/platform/db/schema.js';
import { wireModules } from '../src/modules/wiring.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { prepareMessages, storeMessages } from '../src/modules/ingest/index.js';
import { lookupProfile } from '../src/modules/profiles/index.js';
import { rng, seedMessages, knownUserId } from './lib/events.js';
import { resetSchema } from './lib/pg.js';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { PG_URL } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PEOPLE = arg('people', 20_000);
const CONFLICTS = arg('conflicts', 20_000);
const LOOKUPS = arg('lookups', 3_000);
const SCHEMA = 'siyu_bench_view';

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor((q / 100) * sorted.length))] ?? 0;

async function main() {
  wireModules();
  const loadBefore = await machineLoad();
  log(`profile view: ${PEOPLE} people, ${CONFLICTS} conflicts, ${LOOKUPS} lookups; ${loadBefore}`);
  await resetSchema(SCHEMA);
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1, options: `-c search_path=${SCHEMA}` });
  const db = new Kysely<DB>({ dialect: createPostgresDialect(pool) });
  try {
    await migrateToLatest(db);
    const ws = await createWorkspace(db, { name: 'bench profile view' });
    const r = rng(11);
    const now = Date.now();
    for (let from = 0; from < PEOPLE; from += 2_000) {
      const { messages } = prepareMessages(seedMessages(from, Math.min(PEOPLE, from + 2_000), r, now), { receivedAt: new Date(now) });
      await storeMessages(db, ws.id, messages);
      if ((from / 2_000) % 5 === 4) log(`  seeded ${from + 2_000} people`);
    }
    await sql`ANALYZE`.execute(db);
    const order = Array.from({ length: LOOKUPS }, () => r.int(0, PEOPLE - 1));
    const pass = async (label: string) => {
      for (const i of order.slice(0, 200)) await lookupProfile(db, ws.id, 'userId', knownUserId(i)); // warm-up
      const ms: number[] = [];
      for (const i of order) {
        const t0 = performance.now();
        await lookupProfile(db, ws.id, 'userId', knownUserId(i));
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      const res = { p50: round(percentile(ms, 50), 3), p99: round(percentile(ms, 99), 3), mean: round(ms.reduce((a, b) => a + b, 0) / ms.length, 3) };
      log(`  ${label}: p50 ${res.p50} ms, p99 ${res.p99} ms, mean ${res.mean} ms`);
      return res;
    };
    const without = await pass('no conflicts');
    // Conflicts between neighbours' userIds, as OneID records a refused link (a the lower identifier id).
    await sql`INSERT INTO identity_conflicts (workspace_id, a, b, reason, message_id, event_time)
      SELECT ${ws.id}, i.id, j.id, 'limit:userId', 'bench-conflict-' || i.id, now()
      FROM identifiers i JOIN identifiers j ON j.workspace_id = i.workspace_id AND j.type = 'userId' AND j.value = 'bench-u-' || (substr(i.value, 9)::int + 1)
      WHERE i.workspace_id = ${ws.id} AND i.type = 'userId' AND substr(i.value, 9)::int % ${Math.max(1, Math.floor(PEOPLE / CONFLICTS))} = 0
      ORDER BY i.id LIMIT ${CONFLICTS} ON CONFLICT DO NOTHING`.execute(db);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM identity_conflicts WHERE workspace_id = ${ws.id}`.execute(db);
    await sql`ANALYZE identity_conflicts`.execute(db);
    log(`  recorded ${rows[0]?.n ?? 0} conflicts`);
    const withConflicts = await pass(`${rows[0]?.n ?? 0} conflicts`);
    const ratio = round(withConflicts.mean / without.mean, 2);
    log(`RESULT profile view: mean ${withConflicts.mean} ms with ${rows[0]?.n ?? 0} conflicts against ${without.mean} ms with none (×${ratio}); p99 ${withConflicts.p99} / ${without.p99} ms`);
    saveResult('profile-view', { date: new Date().toISOString(), machine: { before: loadBefore, after: await machineLoad() }, people: PEOPLE, conflicts: rows[0]?.n ?? 0, lookups: LOOKUPS, without, withConflicts, ratio });
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
