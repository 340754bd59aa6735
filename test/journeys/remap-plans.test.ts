import { afterAll, beforeAll, expect, it } from 'vitest';
import { CompiledQuery, PostgresQueryCompiler, sql, type KyselyPlugin, type Transaction } from 'kysely';
import type { DB } from '../../src/platform/db/schema.js';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { wireModules } from '../../src/modules/wiring.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { deleteProfile } from '../../src/modules/profiles/index.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

/**
 * Why this test exists: the journeys merge remap (journeys/remap.ts remapJourneyRows) runs in the OneID settle
 * transaction of every merge. Written as UPDATE … FROM jsonb_to_recordset(remaps) joined on profile_id (the record set
 * estimated at 100 rows), tables never analysed (PGlite never analyses; a fresh PostgreSQL schema) had the planner
 * hash or scan every journey entry and path step of the workspace; the outbox was read whole on every merge and every
 * profile deletion (deleteJourneyRows): no index by profile before migration 0257, and with it the merge's UPDATE …
 * FROM still read the whole outbox. The test captures the statements of a batch of real merges and of a real profile
 * deletion and checks the rows they read, on a database of its own whose tables have never been analysed (as
 * test/identity/settle-plans.test.ts).
 */
const PEOPLE = 1_000;
const ENTRIES_PER_PROFILE = 3; // 3,090 entries, 90 of them the visitors'
const STEPS_PER_ENTRY = 4; // 12,360 path steps
// One outbox row per entry (3,090, 90 of them the visitors'): a marketing send, a transactional send, a webhook.
const BATCH = 30; // visitors who sign in: their profiles merge into known people's
const TABLES = ['journey_entries', 'journey_steps', 'journey_outbox'];

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

/** The plan of each captured statement that touches a journey table, run (EXPLAIN ANALYZE) after `prepare` in a transaction rolled back. */
async function rowsReadBy(db: Database['db'], captured: CompiledQuery[], prepare: (trx: Transaction<DB>) => Promise<void>) {
  const reads: Array<{ sql: string; rows: Record<string, number> }> = [];
  for (const q of captured) {
    if (!TABLES.some((t) => new RegExp(`\\b${t}\\b`).test(q.sql)) || !/^\s*(WITH|SELECT|UPDATE|DELETE|INSERT)/i.test(q.sql)) continue;
    await db
      .transaction()
      .execute(async (trx) => {
        await prepare(trx);
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
  return reads;
}

function capturing(captured: CompiledQuery[]): KyselyPlugin {
  const compiler = new PostgresQueryCompiler();
  return {
    transformQuery: ({ node, queryId }) => (captured.push(compiler.compileQuery(node, queryId)), node),
    transformResult: async ({ result }) => result,
  };
}

describeEachDatabase('journeys remap plans without statistics', (ctx) => {
  let own: Database; // a database of its own: the shared one may have been analysed by other tests
  let schema: string | undefined;

  /** A workspace of PEOPLE known people and BATCH anonymous visitors, each with entries, path steps and outbox rows. */
  async function seededWorkspace(): Promise<string> {
    const ws = (await newWorkspace(own)).id;
    await ingestMessages(own.db, ws, Array.from({ length: PEOPLE }, (_, i) => ({ type: 'identify', messageId: `seed-${i}`, userId: `user-${i}`, timestamp: '2026-03-01T00:00:00.000Z' })));
    await ingestMessages(own.db, ws, Array.from({ length: BATCH }, (_, i) => ({ type: 'page', messageId: `visit-${i}`, anonymousId: `visitor-${i}`, timestamp: '2026-03-02T00:00:00.000Z' })));
    // Positions, paths and outbox set-based (the test is about the remap's plans): three entries per profile, four
    // steps and one outbox row each.
    await sql`
      INSERT INTO journey_entries (workspace_id, journey_id, version, profile_id, node_id, due_at)
      SELECT p.workspace_id, 'j-' || k, 1, p.id, 'w', '2026-04-01T00:00:00Z'::timestamptz
      FROM profiles p CROSS JOIN generate_series(1, ${ENTRIES_PER_PROFILE}) AS k WHERE p.workspace_id = ${ws}`.execute(own.db);
    await sql`
      INSERT INTO journey_steps (workspace_id, entry_id, journey_id, version, profile_id, node_id, outcome)
      SELECT e.workspace_id, e.id, e.journey_id, 1, e.profile_id, 'w', 'step-' || k
      FROM journey_entries e CROSS JOIN generate_series(1, ${STEPS_PER_ENTRY}) AS k WHERE e.workspace_id = ${ws}`.execute(own.db);
    await sql`
      INSERT INTO journey_outbox (workspace_id, idempotency_key, entry_id, journey_id, version, profile_id, node_id, kind, channel, marketing, payload, status)
      SELECT e.workspace_id, 'journey:' || e.journey_id || ':v1:p' || e.profile_id || ':nw:e' || e.id, e.id, e.journey_id, 1, e.profile_id, 'w',
        CASE e.journey_id WHEN 'j-3' THEN 'webhook' ELSE 'send' END, CASE e.journey_id WHEN 'j-1' THEN 'email' WHEN 'j-2' THEN 'sms' END,
        e.journey_id = 'j-1', '{}'::jsonb, CASE e.journey_id WHEN 'j-1' THEN 'done' ELSE 'pending' END
      FROM journey_entries e WHERE e.workspace_id = ${ws}`.execute(own.db);
    return ws;
  }

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
  }, 120_000);
  afterAll(async () => {
    if (schema && own) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(own.db);
    await own?.close();
  });

  const neverAnalysed = async () => {
    const { rows: stats } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = ANY(${TABLES}::text[])`.execute(own.db);
    expect(stats[0]!.n, 'the tables must never have been analysed').toBe(0);
  };
  const outboxCount = async (ws: string) =>
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM journey_outbox WHERE workspace_id = ${ws}`.execute(own.db)).rows[0]!.n;

  it("a batch of merges reads the merged profiles' journey entries, steps and outbox rows, not the workspace's", async () => {
    const ws = await seededWorkspace();
    await neverAnalysed();

    const captured: CompiledQuery[] = [];
    await ingestMessages(
      own.db.withPlugin(capturing(captured)),
      ws,
      Array.from({ length: BATCH }, (_, i) => ({ type: 'identify', messageId: `in-${i}`, userId: `user-${100 + i}`, anonymousId: `visitor-${i}`, timestamp: '2026-03-03T00:00:00.000Z' })),
    );
    // The visitors' entries, steps and outbox rows followed them to the people they merged into (the same rows as
    // before the fix), and nothing else moved.
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
    // Each outbox row was written for its entry's profile: after the merges it is on the entry's profile still
    // (moved with it for the visitors' 90, untouched otherwise), with its key, status and the rest as they were.
    const { rows: outbox } = await sql<{ rows: number; moved: number; astray: number; changed: number }>`
      SELECT count(*)::int AS rows, count(*) FILTER (WHERE e.origin_profile_id IS NOT NULL AND o.profile_id = e.profile_id)::int AS moved,
        count(*) FILTER (WHERE o.profile_id IS DISTINCT FROM e.profile_id)::int AS astray,
        count(*) FILTER (WHERE o.idempotency_key <> 'journey:' || o.journey_id || ':v1:p' || coalesce(e.origin_profile_id, e.profile_id) || ':nw:e' || e.id
          OR o.status <> CASE o.journey_id WHEN 'j-1' THEN 'done' ELSE 'pending' END OR o.attempts <> 0)::int AS changed
      FROM journey_outbox o LEFT JOIN journey_entries e ON e.workspace_id = o.workspace_id AND e.id = o.entry_id
      WHERE o.workspace_id = ${ws}`.execute(own.db);
    expect(outbox[0], "the visitors' outbox rows must have followed them, and no other row moved or changed").toEqual({
      rows: (PEOPLE + BATCH) * ENTRIES_PER_PROFILE, moved: BATCH * ENTRIES_PER_PROFILE, astray: 0, changed: 0,
    });

    const reads = await rowsReadBy(own.db, captured, async (trx) => {
      // The journey rows as they were before the merges (the visitors' entries, steps and outbox rows back on their
      // own profiles), so the remap's statements find the rows they moved, as they did in the settle.
      await sql`UPDATE journey_steps t SET profile_id = e.origin_profile_id FROM journey_entries e
        WHERE e.workspace_id = ${ws} AND e.origin_profile_id IS NOT NULL AND t.workspace_id = ${ws} AND t.entry_id = e.id`.execute(trx);
      await sql`UPDATE journey_outbox o SET profile_id = e.origin_profile_id FROM journey_entries e
        WHERE e.workspace_id = ${ws} AND e.origin_profile_id IS NOT NULL AND o.workspace_id = ${ws} AND o.entry_id = e.id`.execute(trx);
      await sql`UPDATE journey_entries SET profile_id = origin_profile_id, origin_profile_id = NULL WHERE workspace_id = ${ws} AND origin_profile_id IS NOT NULL`.execute(trx);
    });
    console.log(`[${ctx.kind}] merges, rows read: ${JSON.stringify(reads.map((r) => ({ ...r, sql: r.sql.slice(0, 100) })))}`);
    expect(reads.filter((r) => /\bjourney_steps\b/.test(r.sql) && /UPDATE/i.test(r.sql)).length, 'the remap must have run').toBeGreaterThanOrEqual(1);
    // 30 merges of profiles with 3 entries, 12 steps and 3 outbox rows each; the workspace holds 3,090 entries, 12,360
    // steps and 3,090 outbox rows. Each statement reads the 90 entries (the steps statement their 360 steps), the
    // outbox statement the 90 outbox rows; before, every entry and step, and every outbox row.
    for (const r of reads) for (const [table, n] of Object.entries(r.rows)) expect.soft(n, `${table}: ${r.sql}`).toBeLessThan(1_000);
    expect(reads.some((r) => (r.rows.journey_steps ?? 0) >= BATCH * ENTRIES_PER_PROFILE * STEPS_PER_ENTRY), 'the moved steps must have been found').toBe(true);
    // The outbox statements (one per merge): each merged profile's 3 rows, 90 in all.
    const outboxUpdates = reads.filter((r) => /UPDATE journey_outbox/i.test(r.sql));
    expect(outboxUpdates.length, 'the outbox remap must have run').toBeGreaterThanOrEqual(1);
    expect(outboxUpdates.reduce((n, r) => n + (r.rows.journey_outbox ?? 0), 0), 'the moved outbox rows, and no others').toBe(BATCH * ENTRIES_PER_PROFILE);
  });

  it("a profile deletion reads the deleted profiles' outbox rows, not the workspace's", async () => {
    const ws = await seededWorkspace();
    await neverAnalysed();
    // visitor-0 signs in as user-100: the profile deleted is a survivor with one absorbed profile (two profile ids).
    await ingestMessages(own.db, ws, [{ type: 'identify', messageId: 'in-0', userId: 'user-100', anonymousId: 'visitor-0', timestamp: '2026-03-03T00:00:00.000Z' }]);
    const { profile_id: survivor } = await own.db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', ws).where('type', '=', 'userId').where('value', '=', 'user-100').executeTakeFirstOrThrow();
    const before = await outboxCount(ws);
    // The rows the deletion removes, to put them back before each statement's plan is taken.
    const snapshot = async (table: string, where: ReturnType<typeof sql>) =>
      (await sql<{ rows: unknown }>`SELECT coalesce(jsonb_agg(to_jsonb(x)), '[]'::jsonb) AS rows FROM ${sql.table(table)} x WHERE x.workspace_id = ${ws} AND ${where}`.execute(own.db)).rows[0]!.rows;
    const saved = {
      journey_entries: await snapshot('journey_entries', sql`x.profile_id = ${survivor}`),
      journey_steps: await snapshot('journey_steps', sql`x.profile_id = ${survivor}`),
      journey_outbox: await snapshot('journey_outbox', sql`x.profile_id = ${survivor}`),
    };
    expect((saved.journey_outbox as unknown[]).length, "the survivor's and the absorbed profile's outbox rows").toBe(2 * ENTRIES_PER_PROFILE);

    const captured: CompiledQuery[] = [];
    const result = await deleteProfile(own.db.withPlugin(capturing(captured)), ws, survivor!);
    expect(result.absorbedIds.length).toBe(1);
    // Exactly those rows went (the same rows as before the fix).
    expect(await outboxCount(ws)).toBe(before - 2 * ENTRIES_PER_PROFILE);
    const { rows: keys } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM journey_outbox WHERE workspace_id = ${ws} AND idempotency_key = ANY(${(saved.journey_outbox as Array<{ idempotency_key: string }>).map((r) => r.idempotency_key)}::text[])`.execute(own.db);
    expect(keys[0]!.n).toBe(0);

    const reads = await rowsReadBy(own.db, captured, async (trx) => {
      for (const [table, rows] of Object.entries(saved)) {
        await sql`INSERT INTO ${sql.table(table)} ${table === 'journey_outbox' ? sql`` : sql`OVERRIDING SYSTEM VALUE`}
          SELECT * FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb)`.execute(trx);
      }
    });
    console.log(`[${ctx.kind}] deletion, rows read: ${JSON.stringify(reads.map((r) => ({ ...r, sql: r.sql.slice(0, 100) })))}`);
    // The workspace holds 3,090 outbox rows; the two profiles 6, and only those are read (before, all 3,090).
    const outboxDeletes = reads.filter((r) => /DELETE FROM journey_outbox/i.test(r.sql));
    expect(outboxDeletes.length, 'the deletion must have run').toBeGreaterThanOrEqual(1);
    expect(outboxDeletes.reduce((n, r) => n + (r.rows.journey_outbox ?? 0), 0), 'the deleted outbox rows, and no others').toBe(2 * ENTRIES_PER_PROFILE);
    for (const r of reads) for (const [table, n] of Object.entries(r.rows)) expect.soft(n, `${table}: ${r.sql}`).toBeLessThan(1_000);
  });
});
