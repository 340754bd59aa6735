/**
 * Loyalty on PostgreSQL (schema siyu_bench_loyalty, dropped first):
 * 1. points: earn/redeem operations per second through the ledger (row lock per profile, lots, idempotency key;
 *    concurrent operations group-committed, points-batch.ts), with concurrent workers, then every balance is
 *    checked against the ledger;
 *    baseline: the same number of one-row INSERT transactions into a bare table at the same concurrency.
 * 2. coupons: a campaign issuing one coupon per member of a static segment, in chunks; baseline: one server-side
 *    INSERT … SELECT of the same number of rows into a bare table.
 *
 *   npx tsx bench/loyalty.ts [--ops 20000] [--profiles 2000] [--concurrency 16] [--segment 200000]
 */
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { createWorkspace } from '../src/modules/workspaces/index.js';
import { wireModules } from '../src/modules/wiring.js';
import { createCouponCampaign, createCouponTemplate, earnPoints, redeemPoints, runCouponCampaign } from '../src/modules/loyalty/index.js';
import { pointsFlushStats } from '../src/modules/loyalty/points-batch.js';
import { resetSchema } from './lib/pg.js';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { PG_URL } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ops = arg('ops', 20_000);
const profiles = arg('profiles', 2_000);
const concurrency = arg('concurrency', 16);
const segmentSize = arg('segment', 200_000);
const SCHEMA = 'siyu_bench_loyalty';

async function parallel(count: number, workers: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = next++; i < count; i = next++) await fn(i);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function main() {
  wireModules();
  await resetSchema(SCHEMA);
  const database = await openDatabase({ url: PG_URL, schema: SCHEMA, poolSize: concurrency });
  const { db } = database;
  await migrateToLatest(db);
  const ws = await createWorkspace(db, { name: 'bench loyalty' });
  log(`machine: ${await machineLoad()}`);

  // --- points
  await sql`CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, profile_id bigint NOT NULL, points int NOT NULL)`.execute(db);
  const baselineSeconds = await parallel(ops, concurrency, async (i) => {
    await db.transaction().execute((trx) => trx.insertInto('bench_baseline' as never).values({ profile_id: i % profiles, points: 1 } as never).execute());
  });
  const baselineRate = ops / baselineSeconds;
  log(`baseline: ${ops} one-row insert transactions in ${round(baselineSeconds, 1)} s = ${round(baselineRate)}/s`);

  let seed = 7;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const plan = Array.from({ length: ops }, (_, i) => ({ profileId: 1 + (i % profiles), redeem: i >= profiles && random() < 0.35, points: 1 + Math.floor(random() * 40) }));
  let net = 0;
  let refused = 0;
  const pointsSeconds = await parallel(ops, concurrency, async (i) => {
    const op = plan[i]!;
    const req = { profileId: op.profileId, points: op.points, reason: 'bench', idempotencyKey: `bench-${i}` };
    if (!op.redeem) {
      await earnPoints(db, ws.id, req);
      net += op.points;
      return;
    }
    try {
      await redeemPoints(db, ws.id, req);
      net -= op.points;
    } catch (err) {
      if ((err as { code?: string }).code !== 'insufficient_points') throw err;
      refused += 1;
    }
  });
  const pointsRate = ops / pointsSeconds;
  const grouping = `${pointsFlushStats.flushes} transactions, ${round(ops / Math.max(1, pointsFlushStats.flushes), 1)} operations each on average, ` +
    `largest ${pointsFlushStats.largest}, ${pointsFlushStats.fallbacks} retried one by one`;
  const check = await sql<{ mismatched: number; total: number }>`
    SELECT count(*) FILTER (WHERE a.balance <> coalesce(e.points, 0) OR a.balance <> coalesce(l.remaining, 0))::int AS mismatched,
           coalesce(sum(a.balance), 0)::bigint AS total
    FROM points_accounts a
    LEFT JOIN (SELECT profile_id, sum(points) AS points FROM points_entries WHERE workspace_id = ${ws.id} GROUP BY 1) e ON e.profile_id = a.profile_id
    LEFT JOIN (SELECT profile_id, sum(remaining) AS remaining FROM points_lots WHERE workspace_id = ${ws.id} GROUP BY 1) l ON l.profile_id = a.profile_id
    WHERE a.workspace_id = ${ws.id}`.execute(db);
  const { mismatched, total } = check.rows[0]!;
  const correct = mismatched === 0 && Number(total) === net;
  log(`points: ${ops} earn/redeem operations (${refused} redemptions refused for lack of points) over ${profiles} profiles, ` +
    `concurrency ${concurrency}: ${round(pointsSeconds, 1)} s = ${round(pointsRate)} ops/s (${round(pointsRate / baselineRate, 2)}× baseline); ` +
    `balances ${correct ? 'correct' : `WRONG (${mismatched} accounts off, total ${total} vs ${net})`}; group commit: ${grouping}`);

  // --- coupon campaign to a segment
  await sql`INSERT INTO segments (workspace_id, id, name, kind) VALUES (${ws.id}, 'bench', 'bench segment', 'static')`.execute(db);
  await sql`INSERT INTO segment_members (workspace_id, segment_id, profile_id, origin_profile_id)
    SELECT ${ws.id}, 'bench', g, g FROM generate_series(1, ${segmentSize}) g`.execute(db);
  const template = await createCouponTemplate(db, ws.id, { name: 'campaign', kind: 'fixed', amount: 5, perMemberLimit: 1, validDays: 30 });
  const campaign = await createCouponCampaign(db, ws.id, { templateId: template.id, segmentId: 'bench' });
  const started = performance.now();
  const done = await runCouponCampaign(db, ws.id, campaign.id, { chunkSize: 5_000 });
  const campaignSeconds = (performance.now() - started) / 1000;
  const codes = await sql<{ n: number; distinct_codes: number }>`SELECT count(*)::int AS n, count(DISTINCT code)::int AS distinct_codes FROM coupons WHERE workspace_id = ${ws.id} AND template_id = ${template.id}`.execute(db);
  const issuedOk = codes.rows[0]!.n === segmentSize && codes.rows[0]!.distinct_codes === segmentSize && done.issued === segmentSize;
  await sql`CREATE TABLE bench_coupons (id bigserial PRIMARY KEY, code text NOT NULL, profile_id bigint NOT NULL)`.execute(db);
  const rawStarted = performance.now();
  await sql`INSERT INTO bench_coupons (code, profile_id) SELECT md5(g::text), g FROM generate_series(1, ${segmentSize}) g`.execute(db);
  const rawSeconds = (performance.now() - rawStarted) / 1000;
  log(`coupons: campaign to a ${segmentSize}-member segment in ${round(campaignSeconds, 1)} s = ${round(segmentSize / campaignSeconds)} coupons/s ` +
    `(${issuedOk ? 'every member got exactly one coupon with a unique code' : 'WRONG COUNT'}); ` +
    `baseline raw INSERT … SELECT of the same rows: ${round(rawSeconds, 1)} s (${round(campaignSeconds / rawSeconds, 1)}× slower); ` +
    `1,000,000 members extrapolate to ~${round((1_000_000 / segmentSize) * campaignSeconds)} s`);
  saveResult('loyalty', { ops, profiles, concurrency, pointsRate, baselineRate, correct, segmentSize, campaignSeconds, rawSeconds, issuedOk });
  await database.close();
  await resetSchema(SCHEMA).catch(() => undefined);
  if (!correct || !issuedOk) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
