import { afterAll, beforeAll, expect, it } from 'vitest';
import { CompiledQuery, PostgresQueryCompiler, sql, type KyselyPlugin } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { wireModules } from '../../src/modules/wiring.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

/**
 * Why this test exists: the journeys merge remap (journeys/remap.ts remapJourneyRows) runs in the OneID settle
 * transaction of every merge. Written as UPDATE … FROM jsonb_to_recordset(remaps) joined on profile_id (the record set
 * estimated at 100 rows), tables never analysed (PGlite never analyses; a fresh PostgreSQL schema) had the planner
 * hash or scan every journey entry and path step of the workspace. The test captures the statements of a batch of
 * real merges and checks the rows they read, on a database of its own whose tables have never been analysed (as
 * test/identity/settle-plans.test.ts).
 */
const PEOPLE = 1_000;
const ENTRIES_PER_PROFILE = 3; // 3,090 entries, 90 of them the visitors'
const STEPS_PER_ENTRY = 4; // 12,360 path steps
const BATCH = 30; // visitors who sign in: their profiles merge into known people's
const TABLES = ['journey_entries', 'journey_steps'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

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

describeEachDatabase('journeys remap plans without statistics', (ctx) => {
  let own: Database; // a database of its own: the shared one may have been analysed by other tests
  let schema: string | undefined;
  let ws: string;

  beforeAll(async () => {
    wireModules();
    if (ctx.kind === 'pglite') own = await openDatabase({ dataDir: 'memory://' });
    else own = await openDatabase({ url: TEST_POSTGRES_URL, schema: (schema = `${testPostgresSchema()}_journeys_remap_plans`), poolSize: 2 });
    await migrateToLatest(own.db);
    if (ctx.kind === 'postgres') {
      // No autovacuum either: an autoanalyze during the test would give the tables statistics.
      const { rows } = await sql<{ t: string }>`SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()`.execute(own.db);
      for (const { t } of rows) await sql`ALTER TABLE ${sql.table(t)} SET (autovacuum_enabled = off)`.execute(own.db);
    }
    ws = (await newWorkspace(own)).id;
    await ingestMessages(own.db, ws, Array.from({ length: PEOPLE }, (_, i) => ({ type: 'identify', messageId: `seed-${i}`, userId: `user-${i}`, timestamp: '2026-03-01T00:00:00.000Z' })));
    await ingestMessages(own.db, ws, Array.from({ length: BATCH }, (_, i) => ({ type: 'page', messageId: `visit-${i}`, anonymousId: `visitor-${i}`, timestamp: '2026-03-02T00:00:00.000Z' })));
    // Positions and paths set-based (the test is about the remap's plans): three entries per profile, four steps each.
    await sql`
      INSERT INTO journey_entries (workspace_id, journey_id, version, profile_id, node_id, due_at)
      SELECT p.workspace_id, 'j-' || k, 1, p.id, 'w', '2026-04-01T00:00:00Z'::timestamptz
      FROM profiles p CROSS JOIN generate_series(1, ${ENTRIES_PER_PROFILE}) AS k WHERE p.workspace_id = ${ws}`.execute(own.db);
    await sql`
      INSERT INTO journey_steps (workspace_id, entry_id, journey_id, version, profile_id, node_id, outcome)
      SELECT e.workspace_id, e.id, e.journey_id, 1, e.profile_id, 'w', 'step-' || k
      FROM journey_entries e CROSS JOIN generate_series(1, ${STEPS_PER_ENTRY}) AS k WHERE e.workspace_id = ${ws}`.execute(own.db);
  }, 120_000);
  afterAll(async () => {
    if (schema && own) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(own.db);
    await own?.close();
  });

  it("a batch of merges reads the merged profiles' journey entries and steps, not the workspace's", async () => {
    const { rows: stats } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = ANY(${TABLES}::text[])`.execute(own.db);
    expect(stats[0]!.n, 'the tables must never have been analysed').toBe(0);

    const captured: CompiledQuery[] = [];
    const compiler = new PostgresQueryCompiler();
    const capture: KyselyPlugin = {
      transformQuery: ({ node, queryId }) => (captured.push(compiler.compileQuery(node, queryId)), node),
      transformResult: async ({ result }) => result,
    };
    await ingestMessages(
      own.db.withPlugin(capture),
      ws,
      Array.from({ length: BATCH }, (_, i) => ({ type: 'identify', messageId: `in-${i}`, userId: `user-${100 + i}`, anonymousId: `visitor-${i}`, timestamp: '2026-03-03T00:00:00.000Z' })),
    );
    // The visitors' entries and steps followed them to the people they merged into (the same rows as before the fix).
    const { rows: followed } = await sql<{ entries: number; steps: number }>`
      SELECT count(DISTINCT e.id)::int AS entries, count(t.id)::int AS steps
      FROM identifiers i JOIN journey_entries e ON e.workspace_id = i.workspace_id AND e.profile_id = i.profile_id AND e.origin_profile_id = i.origin_profile_id
      JOIN journey_steps t ON t.workspace_id = e.workspace_id AND t.entry_id = e.id AND t.profile_id = e.profile_id
      WHERE i.workspace_id = ${ws} AND i.type = 'anonymousId' AND i.value LIKE 'visitor-%' AND i.origin_profile_id <> i.profile_id`.execute(own.db);
    expect(followed[0], "the visitors' journey rows must have followed them").toEqual({ entries: BATCH * ENTRIES_PER_PROFILE, steps: BATCH * ENTRIES_PER_PROFILE * STEPS_PER_ENTRY });
    const { rows: left } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM journey_steps t JOIN journey_entries e ON e.workspace_id = t.workspace_id AND e.id = t.entry_id
      WHERE t.workspace_id = ${ws} AND t.profile_id <> e.profile_id`.execute(own.db);
    expect(left[0]!.n, 'every step must be on its entry\'s profile').toBe(0);

    const reads: Array<{ sql: string; rows: Record<string, number> }> = [];
    for (const q of captured) {
      if (!TABLES.some((t) => new RegExp(`\\b${t}\\b`).test(q.sql)) || !/^\s*(WITH|SELECT|UPDATE|DELETE|INSERT)/i.test(q.sql)) continue;
      await own.db
        .transaction()
        .execute(async (trx) => {
          // The journey rows as they were before the merges (the visitors' entries and steps back on their own
          // profiles), so the remap's statements find the rows they moved, as they did in the settle.
          await sql`UPDATE journey_steps t SET profile_id = e.origin_profile_id FROM journey_entries e
            WHERE e.workspace_id = ${ws} AND e.origin_profile_id IS NOT NULL AND t.workspace_id = ${ws} AND t.entry_id = e.id`.execute(trx);
          await sql`UPDATE journey_entries SET profile_id = origin_profile_id, origin_profile_id = NULL WHERE workspace_id = ${ws} AND origin_profile_id IS NOT NULL`.execute(trx);
          const { rows } = await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`, [...q.parameters]));
          const json = Object.values(rows[0]!)[0];
          const [{ Plan }] = (typeof json === 'string' ? JSON.parse(json) : json) as [{ Plan: PlanNode }];
          reads.push({ sql: q.sql.replace(/\s+/g, ' ').trim(), rows: rowsRead(Plan) });
          throw new Rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof Rollback)) throw e;
        });
    }
    expect(reads.filter((r) => /\bjourney_steps\b/.test(r.sql) && /UPDATE/i.test(r.sql)).length, 'the remap must have run').toBeGreaterThanOrEqual(1);
    // 30 merges of profiles with 3 entries and 12 steps each; the workspace holds 3,090 entries and 12,360 steps.
    // Each statement reads the 90 entries (and the steps statement their 360 steps); before, every entry and step.
    for (const r of reads) for (const [table, n] of Object.entries(r.rows)) expect.soft(n, `${table}: ${r.sql}`).toBeLessThan(1_000);
    expect(reads.some((r) => (r.rows.journey_steps ?? 0) >= BATCH * ENTRIES_PER_PROFILE * STEPS_PER_ENTRY), 'the moved steps must have been found').toBe(true);
    console.log(`[${ctx.kind}] rows read: ${JSON.stringify(reads.map((r) => ({ ...r, sql: r.sql.slice(0, 100) })))}`);
  });
});
