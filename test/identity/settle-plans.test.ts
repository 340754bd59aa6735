import { afterAll, beforeAll, expect, it } from 'vitest';
import { CompiledQuery, PostgresQueryCompiler, sql, type KyselyPlugin } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { wireModules } from '../../src/modules/wiring.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

/**
 * Why this test exists: a batch that settles many components at once (known people on new devices, anonymous
 * visitors with orders who sign in) sends the settle's statements with arrays of ids. Written as `a = ANY(ids)`,
 * `profile_id = ANY(ids)` or a join of the table to an unnest, tables never analysed (PGlite never analyses; a fresh
 * PostgreSQL schema) had the planner read the workspace's whole identity_links and orders (demo brand, 30
 * components: 43,941 links and 20,737 orders read). The test captures the statements of one such batch and checks
 * the rows each reads, on a database of its own whose tables have never been analysed (as probe-plans.test.ts).
 */
const PEOPLE = 3_000; // 9,000 identifiers, 6,000 links, 33,000 events, 15,000 orders
const ORDERS_PER_PERSON = 5;
const EVENTS_PER_PERSON = 10;
const BATCH = 30; // components settled by the batch: 30 merges (each moving an order) and 30 new devices
const TABLES = ['identifiers', 'identity_links', 'orders', 'events', 'profiles'];

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

describeEachDatabase('settle plans without statistics', (ctx) => {
  let own: Database; // a database of its own: the shared one may have been analysed by other tests
  let schema: string | undefined;
  let ws: string;

  beforeAll(async () => {
    wireModules();
    if (ctx.kind === 'pglite') own = await openDatabase({ dataDir: 'memory://' });
    else own = await openDatabase({ url: TEST_POSTGRES_URL, schema: (schema = `${testPostgresSchema()}_settle_plans`), poolSize: 2 });
    await migrateToLatest(own.db);
    if (ctx.kind === 'postgres') {
      // No autovacuum either: an autoanalyze during the test would give the tables statistics.
      for (const table of TABLES) await sql`ALTER TABLE ${sql.table(table)} SET (autovacuum_enabled = off)`.execute(own.db);
    }
    ws = (await newWorkspace(own)).id;
    const person = (n: number) => ({ type: 'identify', messageId: `seed-${n}`, userId: `user-${n}`, anonymousId: `anon-${n}`, traits: { email: `person-${n}@example.cn` }, timestamp: '2026-03-01T00:00:00.000Z' });
    for (let from = 0; from < PEOPLE; from += 1_000) await ingestMessages(own.db, ws, Array.from({ length: 1_000 }, (_, i) => person(from + i)));
    // Visitors who have not signed in yet, each with a page view.
    await ingestMessages(own.db, ws, Array.from({ length: BATCH }, (_, i) => ({ type: 'page', messageId: `visit-${i}`, anonymousId: `visitor-${i}`, timestamp: '2026-03-02T00:00:00.000Z' })));
    // History and orders set-based (the test is about the settle's plans): the people's, then an order per visitor.
    await sql`
      INSERT INTO orders (workspace_id, order_id, identifier_id, profile_id, status, total_amount, paid_amount, ordered_at)
      SELECT i.workspace_id, i.value || '-' || k, i.id, i.profile_id, 'paid', 100, 100, '2026-03-01T00:00:00Z'::timestamptz + make_interval(days => k)
      FROM identifiers i CROSS JOIN generate_series(1, ${ORDERS_PER_PERSON}) AS k
      WHERE i.workspace_id = ${ws} AND i.type = 'userId'`.execute(own.db);
    await sql`
      INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, user_id, "timestamp", received_at)
      SELECT i.workspace_id, i.value || '-view-' || k, 'track', 'Viewed', i.id, i.profile_id, i.value, '2026-03-01T00:00:00Z'::timestamptz + make_interval(mins => k), now()
      FROM identifiers i CROSS JOIN generate_series(1, ${EVENTS_PER_PERSON}) AS k
      WHERE i.workspace_id = ${ws} AND i.type = 'userId'`.execute(own.db);
    await sql`
      INSERT INTO orders (workspace_id, order_id, identifier_id, profile_id, status, total_amount, paid_amount, ordered_at)
      SELECT i.workspace_id, i.value, i.id, i.profile_id, 'paid', 50, 50, '2026-03-02T00:00:00Z'::timestamptz
      FROM identifiers i WHERE i.workspace_id = ${ws} AND i.type = 'anonymousId' AND i.value LIKE 'visitor-%'`.execute(own.db);
  }, 120_000);
  afterAll(async () => {
    if (schema && own) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(own.db);
    await own?.close();
  });

  it('settling a batch of components reads their links, events and orders, not the workspace', async () => {
    const { rows: stats } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = ANY(${TABLES}::text[])`.execute(own.db);
    expect(stats[0]!.n, 'the tables must never have been analysed').toBe(0);

    const captured: CompiledQuery[] = [];
    const compiler = new PostgresQueryCompiler();
    const capture: KyselyPlugin = {
      transformQuery: ({ node, queryId }) => (captured.push(compiler.compileQuery(node, queryId)), node),
      transformResult: async ({ result }) => result,
    };
    // Visitors sign in (their profile, with its order, merges into a known person's) and known people use new devices.
    await ingestMessages(own.db.withPlugin(capture), ws, [
      ...Array.from({ length: BATCH }, (_, i) => ({ type: 'track', event: 'Signed In', messageId: `in-${i}`, userId: `user-${100 + i}`, anonymousId: `visitor-${i}`, timestamp: '2026-03-03T00:00:00.000Z' })),
      ...Array.from({ length: BATCH }, (_, i) => ({ type: 'track', event: 'Viewed', messageId: `dev-${i}`, userId: `user-${200 + i}`, anonymousId: `device-${i}`, timestamp: '2026-03-03T00:00:00.000Z' })),
    ]);
    const moved = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM orders o JOIN identifiers i ON i.workspace_id = o.workspace_id AND i.id = o.identifier_id
      WHERE o.workspace_id = ${ws} AND i.value LIKE 'visitor-%' AND o.profile_id = (SELECT profile_id FROM identifiers u WHERE u.workspace_id = ${ws} AND u.type = 'userId' AND u.value = 'user-' || (100 + substr(i.value, 9)::int))`.execute(own.db);
    expect(moved.rows[0]!.n, "the visitors' orders must have followed them").toBe(BATCH);

    // Each statement's plan, run for real (writes in a transaction rolled back): rows read per table.
    const reads: Array<{ sql: string; rows: Record<string, number> }> = [];
    for (const q of captured) {
      if (!TABLES.some((t) => new RegExp(`\\b${t}\\b`).test(q.sql)) || !/^\s*(WITH|SELECT|UPDATE|DELETE|INSERT)/i.test(q.sql) || /siyu_events_staging/.test(q.sql)) continue;
      await own.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.sql}`, [...q.parameters]));
          const json = Object.values(rows[0]!)[0];
          const [{ Plan }] = (typeof json === 'string' ? JSON.parse(json) : json) as [{ Plan: PlanNode }];
          reads.push({ sql: q.sql.replace(/\s+/g, ' ').trim().slice(0, 120), rows: rowsRead(Plan) });
          throw new Rollback();
        })
        .catch((e: unknown) => {
          // A write that conflicts when run again (its rows are in now) has nothing to show.
          if (!(e instanceof Rollback) && !/duplicate key/.test(String(e))) throw e;
        });
    }
    expect(reads.some((r) => /^WITH RECURSIVE/i.test(r.sql)), 'the batch must have been settled').toBe(true);
    // 60 components of 3-4 identifiers, ~2 links, 5 orders and ~12 events each; the workspace holds 9,000 identifiers,
    // 6,000 links, 33,000 events, 15,000 orders and 3,000 profiles.
    // (Traits and first/last seen read the 60 profiles' events twice: ~1,500.)
    for (const r of reads) for (const [table, n] of Object.entries(r.rows)) expect.soft(n, `${table}: ${r.sql}`).toBeLessThan(table === 'events' ? 3_000 : 1_000);
  });
});
