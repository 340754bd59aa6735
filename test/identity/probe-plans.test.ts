import { afterAll, beforeAll, expect, it } from 'vitest';
import { CompiledQuery, PostgresQueryCompiler, sql, type KyselyPlugin } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

/**
 * Why this test exists: ingest probes identifiers and identity links as the first entry at or after the key,
 * `(type, value) >= (t, v) ORDER BY type, value LIMIT 1` (identity/resolve.ts), because on tables that were never
 * analysed (PGlite never analyses; a fresh PostgreSQL schema) the bounded form `type = t AND value BETWEEN v AND v`
 * was planned through `identifiers_type_first_seen` plus a sort of the whole type, ~1.8 ms per event instead of
 * ~40 µs (bench/ingest-apply.ts --no-analyze). The test captures the statements a real ingest sends and checks their
 * plans on a database of its own whose tables have never been analysed.
 */
const IDENTIFIERS_KEY = 'identifiers_workspace_id_type_value_key'; // UNIQUE (workspace_id, type, value), 0002
const LINKS_KEY = 'identity_links_pkey'; // PRIMARY KEY (workspace_id, a, b), 0002
const GOOD = [`identifiers via Index Scan ${IDENTIFIERS_KEY}`, `identity_links via Index Scan ${LINKS_KEY}`];
const PEOPLE = 5_000; // 20,000 identifiers; the bounded form flipped to identifiers_type_first_seen at 2,000-3,000

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/**
 * The probes in a plan: each read of identifiers or identity_links under a Limit, as "table via node type index",
 * with "+ sort" when a Sort sits between the Limit and the read.
 */
function probes(node: PlanNode, limited = false, sorted = false, out: string[] = []): string[] {
  const table = node['Relation Name'];
  if (limited && (table === 'identifiers' || table === 'identity_links')) {
    out.push(`${table} via ${node['Node Type']} ${node['Index Name'] ?? ''}${sorted ? ' + sort' : ''}`.trim());
  }
  const type = node['Node Type'];
  for (const child of node.Plans ?? []) probes(child, limited || type === 'Limit', sorted || (limited && type === 'Sort'), out);
  return out;
}

describeEachDatabase('identity probe plans without statistics', (ctx) => {
  let own: Database; // a database of its own: the shared one may have been analysed by other tests
  let schema: string | undefined;
  let ws: string;

  beforeAll(async () => {
    if (ctx.kind === 'pglite') own = await openDatabase({ dataDir: 'memory://' });
    else own = await openDatabase({ url: TEST_POSTGRES_URL, schema: (schema = `${testPostgresSchema()}_probe_plans`), poolSize: 2 });
    await migrateToLatest(own.db);
    // No autovacuum either: an autoanalyze during the test would give the tables statistics.
    if (ctx.kind === 'postgres') {
      for (const table of ['identifiers', 'identity_links']) await sql`ALTER TABLE ${sql.table(table)} SET (autovacuum_enabled = off)`.execute(own.db);
    }
    ws = (await newWorkspace(own)).id;
    // Known people first seen at one time, as a bulk import or the bench's seed leaves them (identifiers_type_first_seen
    // then deduplicates to a few pages: the case where the bounded form went wrong).
    const person = (n: number) => ({
      type: 'identify', messageId: `seed-${n}`, userId: `user-${n}`, anonymousId: `anon-${n}`, traits: { email: `person-${n}@example.cn` },
      context: { externalIds: [{ id: `crm-${n}`, type: 'crm_id', collection: 'users', encoding: 'none' }] }, timestamp: '2026-03-01T00:00:00.000Z',
    });
    for (let from = 0; from < PEOPLE; from += 1_000) await ingestMessages(own.db, ws, Array.from({ length: 1_000 }, (_, i) => person(from + i)));
  });
  afterAll(async () => {
    if (schema && own) await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(own.db);
    await own?.close();
  });

  /** The plan of each captured statement that reads identifiers or identity_links (`analyse`: run, with row counts; reads only). */
  async function plansOf(captured: CompiledQuery[], analyse = false): Promise<Array<{ sql: string; plan: PlanNode }>> {
    const out: Array<{ sql: string; plan: PlanNode }> = [];
    for (const q of captured) {
      if (!/\b(identifiers|identity_links)\b/.test(q.sql)) continue;
      if (analyse && !/^\s*(WITH RECURSIVE|SELECT)/i.test(q.sql)) continue;
      const { rows } = await own.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (${analyse ? 'ANALYZE, ' : ''}FORMAT JSON) ${q.sql}`, [...q.parameters]));
      const json = Object.values(rows[0]!)[0];
      const [{ Plan }] = (typeof json === 'string' ? JSON.parse(json) : json) as [{ Plan: PlanNode }];
      out.push({ sql: q.sql.replace(/\s+/g, ' ').trim(), plan: Plan });
    }
    return out;
  }

  it('probes identifiers and links through their key indexes, never through identifiers_type_first_seen nor a sort', async () => {
    const { rows: stats } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename IN ('identifiers', 'identity_links')`.execute(own.db);
    expect(stats[0]!.n, 'the tables must never have been analysed').toBe(0);

    // Capture the SQL of a real ingest: known pairs, new identifiers for known people, a new person, then a lone
    // anonymousId (a batch without pairs takes the lookup's other form).
    const captured: CompiledQuery[] = [];
    const compiler = new PostgresQueryCompiler();
    const capture: KyselyPlugin = {
      transformQuery: ({ node, queryId }) => (captured.push(compiler.compileQuery(node, queryId)), node),
      transformResult: async ({ result }) => result,
    };
    const db = own.db.withPlugin(capture);
    await ingestMessages(db, ws, [
      { type: 'identify', messageId: 'p1', userId: 'user-7', anonymousId: 'anon-7', traits: { email: 'person-7@example.cn' } },
      { type: 'track', event: 'Viewed', messageId: 'p2', userId: 'user-9', anonymousId: 'anon-new-9', context: { externalIds: [{ id: 'crm-9', type: 'crm_id', collection: 'users', encoding: 'none' }] } },
      { type: 'identify', messageId: 'p3', userId: 'user-new', anonymousId: 'anon-new', traits: { email: 'new@example.cn' } },
    ]);
    await ingestMessages(db, ws, [{ type: 'track', event: 'Viewed', messageId: 'p4', anonymousId: 'anon-12' }]);

    const found: Array<{ sql: string; probes: string[] }> = [];
    for (const { sql: text, plan } of await plansOf(captured)) {
      const p = probes(plan);
      if (p.length) found.push({ sql: text.slice(0, 60), probes: p });
    }
    // The identifier lookup in both forms (with pairs, which also probes the stored links; without) and the link upsert.
    expect(found.length, found.map((f) => f.sql).join('\n')).toBeGreaterThanOrEqual(3);
    for (const f of found) expect(f.probes.filter((p) => !GOOD.includes(p)), f.sql).toEqual([]);
    expect(new Set(found.flatMap((f) => f.probes))).toEqual(new Set(GOOD));
  });

  it("settling a known person's new identifier reads only that person's component, not the workspace", async () => {
    const captured: CompiledQuery[] = [];
    const compiler = new PostgresQueryCompiler();
    const capture: KyselyPlugin = {
      transformQuery: ({ node, queryId }) => (captured.push(compiler.compileQuery(node, queryId)), node),
      transformResult: async ({ result }) => result,
    };
    // A known person on a new device: the new anonymousId joins their component, which is then settled.
    await ingestMessages(own.db.withPlugin(capture), ws, [{ type: 'track', event: 'Viewed', messageId: 'walk-1', userId: 'user-21', anonymousId: 'anon-new-21' }]);
    const reads = await plansOf(captured, true);
    expect(reads.filter((p) => /WITH RECURSIVE/i.test(p.sql)).length, 'the settle step must have walked the component').toBeGreaterThanOrEqual(1);
    // The component holds 5 identifiers and their links; the workspace 20,000 and 15,000.
    for (const { sql: text, plan } of reads) expect(rowsRead(plan), text.slice(0, 80)).toBeLessThan(100);
  });
});

/** Rows a plan read from identifiers and identity_links (returned or filtered out, over all loops). */
function rowsRead(node: PlanNode): number {
  let n = 0;
  if (node['Relation Name'] === 'identifiers' || node['Relation Name'] === 'identity_links') {
    n += ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * (node['Actual Loops'] ?? 1);
  }
  for (const child of node.Plans ?? []) n += rowsRead(child);
  return n;
}
