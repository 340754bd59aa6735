import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { invalid } from '../../platform/errors.js';

export interface SyntheticOptions {
  profiles: number;
  /** Events per profile on average (default 10), spread over the last 180 days. */
  eventsPerProfile?: number;
  /** Orders per profile on average (default 2), over the last 400 days; ~25 % refunded, cancelled or pending. */
  ordersPerProfile?: number;
  /** Makes the data repeatable (PostgreSQL's setseed, -1…1). */
  seed?: number;
  onProgress?: (p: SyntheticProgress) => void;
}

export interface SyntheticProgress {
  step: 'profiles' | 'events' | 'orders' | 'analyze';
  done: number;
  total: number;
}

const CHUNK = 500_000;
export const SYNTHETIC_EVENTS = ['Product Viewed', 'Product Added', 'App Opened', 'Ad Clicked', 'Product Reviewed', 'Ad Impression'];

/**
 * Bulk synthetic data for benchmarks (`siyu bench seed`): profiles with a userId and a few traits, events and
 * orders with items, generated set-based inside the database from a seeded random stream, in chunks so progress
 * shows. Rows are written directly (not through ingest): this measures the rules tier, not ingest. Profiles take
 * ids from the shared sequence, so a seeded workspace lives beside real ones.
 */
export async function seedSyntheticData(db: Db, workspaceId: string, opts: SyntheticOptions): Promise<{ profiles: number; events: number; orders: number }> {
  const n = opts.profiles;
  if (!Number.isInteger(n) || n < 1 || n > 50_000_000) throw invalid('--profiles must be a whole number between 1 and 50,000,000');
  const events = Math.round(n * (opts.eventsPerProfile ?? 10));
  const orders = Math.round(n * (opts.ordersPerProfile ?? 2));
  const existing = await db.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).limit(1).execute();
  if (existing.length) throw invalid(`workspace ${workspaceId} already has profiles: seed a new workspace`);
  const report = (step: SyntheticProgress['step'], done: number, total: number) => opts.onProgress?.({ step, done, total });

  await db.transaction().execute(async (trx) => {
    await sql`SELECT setseed(${opts.seed ?? 0.42})`.execute(trx);
    // Profile k (1…n) gets ids from the shared sequences (its profile and its userId identifier), kept in seed_ids.
    await sql`CREATE TEMP TABLE seed_ids (k int PRIMARY KEY, id bigint NOT NULL, ident bigint NOT NULL) ON COMMIT DROP`.execute(trx);
    for (let from = 1; from <= n; from += CHUNK) {
      const to = Math.min(n, from + CHUNK - 1);
      await sql`INSERT INTO seed_ids SELECT g, nextval('profile_id_seq'), nextval(pg_get_serial_sequence('identifiers', 'id')) FROM generate_series(${from}::int, ${to}::int) g`.execute(trx);
      await sql`INSERT INTO profiles (workspace_id, id, traits, trait_times, first_seen_at, last_seen_at)
        SELECT ${workspaceId}, s.id, jsonb_build_object('plan', (ARRAY['gold','silver','bronze'])[1 + s.k % 3], 'age', 18 + (s.k::bigint * 7919) % 50,
          'birthday', to_char(date '1970-01-01' + ((s.k::bigint * 37) % 15000)::int, 'YYYY-MM-DD'), 'city', (ARRAY['上海','北京','杭州','广州','成都'])[1 + s.k % 5]), '{}',
          now() - interval '180 days', now()
        FROM seed_ids s WHERE s.k BETWEEN ${from} AND ${to}`.execute(trx);
      await sql`INSERT INTO identifiers (workspace_id, id, type, value, profile_id, origin_profile_id, first_seen_at) OVERRIDING SYSTEM VALUE
        SELECT ${workspaceId}, s.ident, 'userId', 'bench-u' || s.k, s.id, s.id, now() - interval '180 days' FROM seed_ids s WHERE s.k BETWEEN ${from} AND ${to}`.execute(trx);
      report('profiles', to, n);
    }
    for (let from = 1; from <= events; from += CHUNK) {
      const to = Math.min(events, from + CHUNK - 1);
      await sql`INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, "timestamp", received_at, properties)
        SELECT ${workspaceId}, 'bench-m' || r.g, 'track', (${SYNTHETIC_EVENTS}::text[])[1 + floor(random() * 6)::int],
          s.ident, s.id, now() - random() * interval '180 days', now(), jsonb_build_object('price', floor(random() * 300)::int)
        FROM (SELECT g, 1 + floor(random() * ${n}::int)::int AS k FROM generate_series(${from}::int, ${to}::int) g) r
        JOIN seed_ids s ON s.k = r.k`.execute(trx);
      report('events', to, events);
    }
    for (let from = 1; from <= orders; from += CHUNK) {
      const to = Math.min(orders, from + CHUNK - 1);
      await sql`INSERT INTO orders (workspace_id, order_id, identifier_id, profile_id, status, total_amount, paid_amount, refunded_amount, ordered_at, channel)
        SELECT ${workspaceId}, 'bench-o' || r.g, s.ident, s.id, r.st, r.amt, r.amt,
          CASE WHEN r.st = 'refunded' THEN r.amt WHEN r.st = 'partially_refunded' THEN round(r.amt / 2, 2) ELSE 0 END,
          now() - random() * interval '400 days', 'mall'
        FROM (SELECT g, 1 + floor(random() * ${n}::int)::int AS k, round((random() * 1000)::numeric, 2) AS amt,
          (ARRAY['paid','paid','paid','paid','partially_refunded','refunded','cancelled','pending'])[1 + floor(random() * 8)::int] AS st
          FROM generate_series(${from}::int, ${to}::int) g) r
        JOIN seed_ids s ON s.k = r.k`.execute(trx);
      await sql`INSERT INTO order_items (workspace_id, order_id, line, sku, category, quantity, price)
        SELECT ${workspaceId}, 'bench-o' || g, 0, 'SKU-' || (g % 200), (ARRAY['skincare','makeup','fragrance'])[1 + g % 3], 1, 10
        FROM generate_series(${from}::int, ${to}::int) g`.execute(trx);
      report('orders', to, orders);
    }
  });
  report('analyze', 0, 1);
  await sql`ANALYZE profiles`.execute(db);
  await sql`ANALYZE identifiers`.execute(db);
  await sql`ANALYZE events`.execute(db);
  await sql`ANALYZE orders`.execute(db);
  await sql`ANALYZE order_items`.execute(db);
  report('analyze', 1, 1);
  return { profiles: n, events, orders };
}
