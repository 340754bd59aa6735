import { afterAll, beforeAll, expect, it } from 'vitest';
import { CompiledQuery, PostgresQueryCompiler, sql, type KyselyPlugin } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { wireModules } from '../../src/modules/wiring.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

/**
 * Why this test exists: the merge / unmerge remap of stage history (lifecycle/profile.ts remapLifecycleRows) runs in
 * the OneID settle transaction of every merge. Written as `origin_profile_id = from`, with no index on the origin, it
 * read the workspace's whole lifecycle_history (19,600 rows on the demo brand, analysed or not). The test captures
 * the statements of a batch of real merges and checks the rows they read from lifecycle_history, on a database of its
 * own whose tables have never been analysed (as test/identity/settle-plans.test.ts).
 */
const PEOPLE = 1_000;
const HISTORY_PER_PROFILE = 8; // 8,240 stage history rows, 240 of them the visitors'
const MOVED = 500; // history rows already moved by earlier merges (origin ≠ profile)
const BATCH = 30; // visitors who sign in: their profiles merge into known people's
const TABLES = ['lifecycle_history'];

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

describeEachDatabase('lifecycle remap plans without statistics', (ctx) => {
  let own: Database; // a database of its own: the shared one may have been analysed by other tests
  let schema: string | undefined;
  let ws: string;

  beforeAll(async () => {
    wireModules();
    if (ctx.kind === 'pglite') own = await openDatabase({ dataDir: 'memory://' });
    else own = await openDatabase({ url: TEST_POSTGRES_URL, schema: (schema = `${testPostgresSchema()}_lifecycle_remap_plans`), poolSize: 2 });
    await migrateToLatest(own.db);
    if (ctx.kind === 'postgres') {
      // No autovacuum either: an autoanalyze during the test would give the tables statistics.
      const { rows } = await sql<{ t: string }>`SELECT tablename AS t FROM pg_tables WHERE schemaname = current_schema()`.execute(own.db);
      for (const { t } of rows) await sql`ALTER TABLE ${sql.table(t)} SET (autovacuum_enabled = off)`.execute(own.db);
    }
    ws = (await newWorkspace(own)).id;
    await ingestMessages(own.db, ws, Array.from({ length: PEOPLE }, (_, i) => ({ type: 'identify', messageId: `seed-${i}`, userId: `user-${i}`, timestamp: '2026-03-01T00:00:00.000Z' })));
    await ingestMessages(own.db, ws, Array.from({ length: BATCH }, (_, i) => ({ type: 'page', messageId: `visit-${i}`, anonymousId: `visitor-${i}`, timestamp: '2026-03-02T00:00:00.000Z' })));
    // Stage history set-based (the test is about the remap's plan): every profile's, then some rows moved earlier.
    await sql`
      INSERT INTO lifecycle_history (workspace_id, profile_id, origin_profile_id, from_stage, to_stage, at)
      SELECT p.workspace_id, p.id, p.id, 'A', 'I', '2026-03-01T00:00:00Z'::timestamptz + make_interval(days => k)
      FROM profiles p CROSS JOIN generate_series(1, ${HISTORY_PER_PROFILE}) AS k WHERE p.workspace_id = ${ws}`.execute(own.db);
    await sql`
      UPDATE lifecycle_history SET profile_id = profile_id + 1
      WHERE workspace_id = ${ws} AND id IN (SELECT id FROM lifecycle_history WHERE workspace_id = ${ws} ORDER BY id LIMIT ${MOVED})`.execute(own.db);
  }, 120_000);
  afterAll(async () => {
    if (schema && own) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(own.db);
    await own?.close();
  });

  it("a batch of merges reads the merged profiles' stage history, not the workspace's", async () => {
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
    // The visitors' history followed them to the people they merged into (same rows as before the fix).
    const { rows: followed } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM lifecycle_history h JOIN identifiers i ON i.workspace_id = h.workspace_id AND i.type = 'anonymousId' AND i.value LIKE 'visitor-%'
      WHERE h.workspace_id = ${ws} AND h.profile_id = i.profile_id AND h.origin_profile_id <> h.profile_id AND h.origin_profile_id = i.origin_profile_id`.execute(own.db);
    expect(followed[0]!.n, "the visitors' stage history must have followed them").toBe(BATCH * HISTORY_PER_PROFILE);

    const reads: Array<{ sql: string; rows: Record<string, number> }> = [];
    for (const q of captured) {
      if (!/\blifecycle_history\b/.test(q.sql) || !/^\s*(WITH|SELECT|UPDATE|DELETE|INSERT)/i.test(q.sql)) continue;
      await own.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`, [...q.parameters]));
          const json = Object.values(rows[0]!)[0];
          const [{ Plan }] = (typeof json === 'string' ? JSON.parse(json) : json) as [{ Plan: PlanNode }];
          reads.push({ sql: q.sql.replace(/\s+/g, ' ').trim().slice(0, 160), rows: rowsRead(Plan) });
          throw new Rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof Rollback)) throw e;
        });
    }
    expect(reads.filter((r) => /^UPDATE lifecycle_history/i.test(r.sql)).length, 'the remap must have run per merge').toBeGreaterThanOrEqual(BATCH);
    // Each merge's remap: the absorbed profile's 8 rows (now moved, found by the origin index). The workspace holds 8,240.
    const total = reads.reduce((n, r) => n + (r.rows.lifecycle_history ?? 0), 0);
    for (const r of reads) expect.soft(r.rows.lifecycle_history ?? 0, r.sql).toBeLessThan(100);
    expect(total).toBeLessThan(1_000);
    console.log(`[${ctx.kind}] lifecycle_history rows read by ${reads.length} statements: ${total}`);
  });
});
