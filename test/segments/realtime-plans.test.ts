import { afterAll, beforeAll, expect, it } from 'vitest';
import { CompiledQuery, PostgresQueryCompiler, sql, type KyselyPlugin } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { wireModules } from '../../src/modules/wiring.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { createSegment, processAllProfileChanges, processProfileChanges } from '../../src/modules/segments/index.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { markChanged } from '../rules/seed.js';

/**
 * Why this test exists: the real-time pass loads a few changed profiles' events by (profile, name, earliest time)
 * (rules/state.ts loadEventPairs). Written as `profile_id = x.pid AND event = k.name AND time …`, tables never analysed
 * (PGlite never analyses; a fresh PostgreSQL schema) had the planner take events_name_time (workspace, event, time)
 * INCLUDE (profile_id) and filter the profile: every event of that name in the workspace per probe (3 changed profiles
 * of the demo brand: 14,240 rows). The test captures the statements a real pass sends and checks the rows they read
 * on a database of its own whose tables have never been analysed, as test/identity/probe-plans.test.ts does.
 */
const PEOPLE = 1_500;
const HISTORY = 60_000; // 48,000 'Product Viewed' and 12,000 'Checked In' events, 40 per person
const T0 = new Date('2026-03-10T00:00:00.000Z');

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

const TABLES = ['events', 'profiles', 'profile_rfm'];

/** Rows a plan read from each table (returned or filtered out, over all loops). */
function rowsRead(node: PlanNode, out: Record<string, number> = {}): Record<string, number> {
  const table = node['Relation Name'];
  if (table && TABLES.includes(table)) {
    out[table] = (out[table] ?? 0) + ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * (node['Actual Loops'] ?? 1);
  }
  for (const child of node.Plans ?? []) rowsRead(child, out);
  return out;
}

class Rollback extends Error {}

describeEachDatabase('real-time pass plans without statistics', (ctx) => {
  let own: Database; // a database of its own: the shared one may have been analysed by other tests
  let schema: string | undefined;
  let ws: string;

  beforeAll(async () => {
    wireModules();
    if (ctx.kind === 'pglite') own = await openDatabase({ dataDir: 'memory://' });
    else own = await openDatabase({ url: TEST_POSTGRES_URL, schema: (schema = `${testPostgresSchema()}_realtime_plans`), poolSize: 2 });
    await migrateToLatest(own.db);
    if (ctx.kind === 'postgres') {
      // No autovacuum either: an autoanalyze during the test would give the tables statistics.
      const { rows } = await sql<{ t: string }>`SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()`.execute(own.db);
      for (const { t } of rows) await sql`ALTER TABLE ${sql.table(t)} SET (autovacuum_enabled = off)`.execute(own.db);
    }
    ws = (await newWorkspace(own)).id;
    // The people through ingest, then their history set-based (the test is about plans, not ingest): enough events
    // that both indexes over (workspace, …) have the demo brand's height, where their costs tie without statistics.
    for (let from = 0; from < PEOPLE; from += 500) {
      await ingestMessages(own.db, ws, Array.from({ length: 500 }, (_, i) => ({ type: 'identify', messageId: `id-${from + i}`, userId: `user-${from + i}`, timestamp: T0.toISOString() })));
    }
    await sql`
      INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, user_id, "timestamp", received_at)
      SELECT ${ws}, 'h-' || n, 'track', CASE WHEN n % 5 = 0 THEN 'Checked In' ELSE 'Product Viewed' END, e.identifier_id, e.profile_id, e.user_id,
        ${T0.toISOString()}::timestamptz - make_interval(mins => n), ${T0.toISOString()}::timestamptz
      FROM generate_series(1, ${HISTORY}) AS n
      JOIN events e ON e.workspace_id = ${ws} AND e.message_id = 'id-' || (n % ${PEOPLE})`.execute(own.db);
    await createSegment(own.db, ws, { name: 'browsers', rule: { version: 1, condition: { kind: 'event', event: 'Product Viewed', window: { type: 'last_days', days: 30 }, count: { op: 'gte', value: 3 } } } });
    // RFM scores for everyone (the daily pass's output), read by a segment; lifecycle stages come from the events.
    await sql`
      INSERT INTO profile_rfm (workspace_id, profile_id, recency_days, frequency, monetary, r_score, f_score, m_score, class8, computed_at)
      SELECT ${ws}, id, 10, 2, 300, 1 + id % 5, 1 + id % 4, 1 + id % 3, CASE WHEN id % 2 = 0 THEN 'important_value' ELSE 'general_retain' END, now()
      FROM profiles WHERE workspace_id = ${ws}`.execute(own.db);
    await createSegment(own.db, ws, { name: 'important', rule: { version: 1, condition: { kind: 'rfm', classes: ['important_value'] } } });
    await createSegment(own.db, ws, { name: 'checked in', rule: { version: 1, condition: { kind: 'event', event: 'Checked In', window: { type: 'last_days', days: 7 } } } });
    await processAllProfileChanges(own.db, { workspaceId: ws, now: T0 });
  }, 120_000);
  afterAll(async () => {
    if (schema && own) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(own.db);
    await own?.close();
  });

  it('deciding a few changed profiles reads their events, scores and profiles, not the whole workspace\'s', async () => {
    const { rows: stats } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'events'`.execute(own.db);
    expect(stats[0]!.n, 'events must never have been analysed').toBe(0);

    await ingestMessages(own.db, ws, [
      { type: 'track', event: 'Product Viewed', messageId: 'new-1', userId: 'user-11', timestamp: T0.toISOString() },
      { type: 'track', event: 'Checked In', messageId: 'new-2', userId: 'user-12', timestamp: T0.toISOString() },
      { type: 'track', event: 'Product Viewed', messageId: 'new-3', userId: 'user-13', timestamp: T0.toISOString() },
      { type: 'track', event: 'Product Shared', messageId: 'new-4', userId: 'user-14', timestamp: T0.toISOString() }, // AIPL I -> L
    ]);
    // And 30 profiles changed in every respect (as merges or edits queue them): all their rules, RFM's too.
    const { rows: everything } = await sql<{ id: number }>`
      SELECT profile_id AS id FROM identifiers WHERE workspace_id = ${ws} AND type = 'userId' AND value = ANY(${Array.from({ length: 30 }, (_, i) => `user-${20 + i}`)}::text[])`.execute(own.db);
    for (const { id } of everything) await markChanged(own.db, ws, id);
    const captured: CompiledQuery[] = [];
    const compiler = new PostgresQueryCompiler();
    const capture: KyselyPlugin = {
      transformQuery: ({ node, queryId }) => (captured.push(compiler.compileQuery(node, queryId)), node),
      transformResult: async ({ result }) => result,
    };
    await processProfileChanges(own.db.withPlugin(capture), ws, { now: T0 });

    // Each statement's plan, run for real (writes in a transaction rolled back): rows read from the per-profile tables.
    const reads: Array<{ sql: string; full: string; rows: Record<string, number> }> = [];
    for (const q of captured) {
      if (!TABLES.some((t) => new RegExp(`\\b${t}\\b`).test(q.sql)) || !/^\s*(WITH|SELECT|INSERT|UPDATE|DELETE)/i.test(q.sql) || /siyu_events_staging/.test(q.sql)) continue;
      await own.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`, [...q.parameters]));
          const json = Object.values(rows[0]!)[0];
          const [{ Plan }] = (typeof json === 'string' ? JSON.parse(json) : json) as [{ Plan: PlanNode }];
          reads.push({ sql: q.sql.replace(/\s+/g, ' ').trim().slice(0, 100), full: q.sql, rows: rowsRead(Plan) });
          throw new Rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof Rollback) && !/duplicate key/.test(String(e))) throw e;
        });
    }
    expect(reads.some((r) => r.rows.events), "the pass must have loaded the changed profiles' events").toBe(true);
    expect(reads.some((r) => r.rows.profile_rfm !== undefined), 'the pass must have read RFM scores').toBe(true);
    expect(reads.some((r) => /INSERT INTO lifecycle_history/.test(r.full)), 'the pass must have raised a stage').toBe(true);
    // 34 profiles of ~40 events each; the workspace holds 48,000 events of one name and 12,000 of the other, 1,500
    // profiles and their RFM scores.
    for (const r of reads) for (const [table, n] of Object.entries(r.rows)) expect.soft(n, `${table}: ${r.sql}`).toBeLessThan(table === 'events' ? 3_000 : 100);
  });
});
