/**
 * Rules-tier benchmark: seeded data (profiles, 10× events, 2× orders), then a 3-condition segment recompute, RFM,
 * AIPL for all profiles, and the real-time evaluator's throughput with 50 rule tags and 20 segments defined.
 *
 *   npx tsx bench/rules.ts --profiles 100000                      # embedded PGlite (in memory)
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/rules.ts --profiles 1000000
 *
 * On PostgreSQL it works in its own schema (siyu_bench_rules, or BENCH_RULES_SCHEMA), dropped first; with --reuse a workspace seeded by an
 * earlier run with the same --profiles is kept (seeding 1M profiles takes many minutes), its rules and derived rows
 * dropped, and only the measurements run (if there is none, it stops: --reuse never drops the schema). --seed-only stops after seeding; --realtime 0 stops before the real-time
 * part (defining its 70 rules alone takes minutes at 1M profiles). The baseline, measured in the same run,
 * is one sequential count over the workspace's events: every figure is also given as a multiple of it.
 */
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { wireModules } from '../src/modules/wiring.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { seedSyntheticData } from '../src/modules/demo/index.js';
import { computeRfm, refreshStages } from '../src/modules/lifecycle/index.js';
import { createSegment, estimateRule, processProfileChanges, recomputeRuleSegment } from '../src/modules/segments/index.js';
import { createTag, createTagGroup } from '../src/modules/tags/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const profiles = arg('profiles', 100_000);
const realtimeProfiles = arg('realtime', 5_000);
const url = process.env.DATABASE_URL;
// BENCH_RULES_SCHEMA: a separate schema for a smaller dataset (e.g. siyu_bench_rules_100k), leaving the 1M one alone.
const schema = process.env.BENCH_RULES_SCHEMA ?? 'siyu_bench_rules';
const reuse = process.argv.includes('--reuse');
const seedOnly = process.argv.includes('--seed-only');

async function time<T>(label: string, fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  const ms = performance.now() - start;
  console.log(`${label.padEnd(58)} ${(ms / 1000).toFixed(2).padStart(8)} s`);
  return { ms, result };
}

async function main(): Promise<void> {
  wireModules();
  let database = url ? await openDatabase({ url, schema, poolSize: 4 }) : await openDatabase({ dataDir: 'memory://' });
  let ws: { id: string } | undefined;
  if (url && reuse) {
    await migrateToLatest(database.db);
    const found = await sql<{ id: string; n: number }>`SELECT w.id, (SELECT count(*)::int FROM profiles p WHERE p.workspace_id = w.id) AS n
      FROM workspaces w WHERE w.name = ${`bench ${profiles}`} ORDER BY w.created_at DESC LIMIT 1`.execute(database.db).catch(() => ({ rows: [] }));
    const row = found.rows[0];
    if (row && row.n === profiles) {
      ws = { id: row.id };
      console.log(`reusing workspace ${row.id} seeded earlier with ${profiles} profiles (--reuse)`);
      // Start the measurements from the same state as after seeding: no rules, no derived rows.
      for (const table of ['tag_history', 'tag_assignments', 'tags', 'tag_groups', 'segment_members', 'segments', 'profile_rfm', 'profile_lifecycle', 'lifecycle_history', 'lifecycle_daily', 'profile_changes', 'profile_change_claims']) {
        await sql`DELETE FROM ${sql.table(table)} WHERE workspace_id = ${row.id}`.execute(database.db).catch((err: Error) => console.log(`  (not cleared: ${table}: ${err.message})`));
      }
      await sql`DELETE FROM events WHERE workspace_id = ${row.id} AND event IN ('Segment Entered', 'Segment Exited')`.execute(database.db);
      // Only this schema's tables (search_path): a bare VACUUM would also read every other schema in the database.
      for (const table of ['events', 'orders', 'profiles', 'identifiers', 'segment_members', 'tag_assignments', 'profile_lifecycle', 'lifecycle_history', 'profile_rfm']) {
        await sql`VACUUM ANALYZE ${sql.table(table)}`.execute(database.db);
      }
    }
  }
  if (!ws) {
    // --reuse never reseeds: dropping a schema whose seed is still running (or was made with another --profiles)
    // would throw away up to an hour of seeding.
    if (url && reuse) throw new Error(`--reuse: no workspace "bench ${profiles}" with ${profiles} profiles in schema ${schema}; run without --reuse to seed`);
    if (url) {
      await database.close();
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      database = await openDatabase({ url, schema, poolSize: 4 });
    }
    await migrateToLatest(database.db);
    ws = await createWorkspace(database.db, { name: `bench ${profiles}` });
    // The same generator as `siyu bench seed --profiles N`.
    await time('seed (siyu bench seed: seeded generator, set-based inserts)', () =>
      seedSyntheticData(database.db, ws!.id, { profiles, onProgress: (p) => process.stderr.write(`\r  ${p.step} ${p.done}/${p.total}   `) }),
    );
  }
  const { db } = database;
  console.log(`database: ${database.kind}; profiles ${profiles}, events ${profiles * 10}, orders ${profiles * 2}`);
  if (seedOnly) {
    await database.close();
    return;
  }

  const baseline = await time('baseline: count(*) over the workspace events', () => sql`SELECT count(*) FROM events WHERE workspace_id = ${ws.id}`.execute(db));
  const ratio = (ms: number) => `(${(ms / baseline.ms).toFixed(1)}× baseline)`;

  const rule = {
    version: 1 as const,
    condition: {
      kind: 'and' as const,
      conditions: [
        { kind: 'trait' as const, trait: 'plan', type: 'string' as const, op: 'eq' as const, value: 'gold' },
        { kind: 'event' as const, event: 'Product Viewed', window: { type: 'last_days' as const, days: 30 }, count: { op: 'gte' as const, value: 1 } },
        { kind: 'order' as const, measure: 'total' as const, op: 'gte' as const, value: 200, window: { type: 'last_days' as const, days: 90 } },
      ],
    },
  };
  const estimate = await time('segment (trait + events 30d + order total 90d): estimate', () => estimateRule(db, ws.id, rule));
  console.log(`  ${ratio(estimate.ms)} size ${estimate.result.size}`);
  const created = await time('segment: create + first materialisation (+ Entered events)', () => createSegment(db, ws.id, { name: 'bench', rule }));
  console.log(`  ${ratio(created.ms)}`);
  const again = await time('segment: full recompute (no change)', () => recomputeRuleSegment(db, ws.id, created.result.id, new Date()));
  console.log(`  ${ratio(again.ms)}`);
  const rfm = await time('RFM for all profiles', () => computeRfm(db, ws.id, new Date()));
  console.log(`  ${ratio(rfm.ms)} profiles ${rfm.result.profiles}`);
  const aipl = await time('AIPL stages for all profiles (first: every row written)', () => refreshStages(db, ws.id, new Date()));
  console.log(`  ${ratio(aipl.ms)} changed ${aipl.result.changed}`);
  const aipl2 = await time('AIPL stages for all profiles (steady state)', () => refreshStages(db, ws.id, new Date()));
  console.log(`  ${ratio(aipl2.ms)}`);

  // Real time with 50 rule tags and 20 segments defined (each materialised once on creation). `--realtime 0` stops
  // here: at 1M profiles defining them alone took 640 s, and bench/realtime.ts measures real time end to end.
  if (realtimeProfiles <= 0) {
    await database.close();
    return;
  }
  const defs = await time('define 50 rule tags + 20 segments (each computed)', async () => {
    const group = await createTagGroup(db, ws.id, { name: 'bench', category: 'activity' });
    const events = ['Product Viewed', 'Product Added', 'App Opened', 'Ad Clicked', 'Product Reviewed'];
    for (let i = 0; i < 50; i++) {
      await createTag(db, ws.id, { groupId: group.id, name: `t${i}`, rule: { version: 1, condition: { kind: 'event', event: events[i % 5]!, window: { type: 'last_days', days: 7 + i }, count: { op: 'gte', value: 1 + (i % 3) } } } });
    }
    for (let i = 0; i < 19; i++) {
      await createSegment(db, ws.id, { name: `s${i}`, rule: { version: 1, condition: { kind: 'and', conditions: [
        { kind: 'trait', trait: 'age', type: 'number', op: 'gte', value: 18 + i },
        { kind: 'order', measure: 'count', op: 'gte', value: 1 + (i % 3), window: { type: 'last_days', days: 30 + i * 10 } },
      ] } } });
    }
  });
  console.log(`  ${ratio(defs.ms)}`);
  await sql`DELETE FROM profile_changes WHERE workspace_id = ${ws.id}`.execute(db);
  await sql`INSERT INTO profile_changes (workspace_id, profile_id)
    SELECT ${ws.id}, id FROM profiles WHERE workspace_id = ${ws.id} ORDER BY random() LIMIT ${realtimeProfiles}`.execute(db);
  const queued = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM profile_changes WHERE workspace_id = ${ws.id}`.execute(db)).rows[0]?.n);
  const batches: number[] = [];
  const rt = await time(`real time: re-decide ${queued} changed profiles (batches of 500)`, async () => {
    for (;;) {
      const start = performance.now();
      const { profiles: n } = await processProfileChanges(db, ws.id, { limit: 500 });
      if (n === 0) break;
      batches.push(performance.now() - start);
    }
  });
  batches.sort((a, b) => a - b);
  const p99 = batches[Math.min(batches.length - 1, Math.floor(batches.length * 0.99))] ?? 0;
  console.log(`  ${Math.round(queued / (rt.ms / 1000))} profiles/s; per 500-profile batch: median ${(batches[Math.floor(batches.length / 2)] ?? 0).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms`);
  await database.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
