/**
 * One big workspace for auditing interactive reads at scale (PostgreSQL, schema siyu_scale_audit, dropped first):
 *
 *   npx tsx bench/scale-audit-seed.ts [--members 20000] [--others 180000] [--events-per-other 5] [--conflicts 20000]
 *
 * The demo brand with --members members (events, orders, points, coupons, tags, segments, journeys) in workspace
 * ws_scale, then --others non-member profiles with a userId, their events and orders written set-based (as
 * `siyu bench seed` does), then --conflicts identity conflicts between neighbouring userIds, then ANALYZE.
 */
import pg from 'pg';
import { Kysely, sql } from 'kysely';
import { createPostgresDialect } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import type { DB } from '../src/platform/db/schema.js';
import { wireModules } from '../src/modules/wiring.js';
import { loadDemoBrand, SYNTHETIC_EVENTS } from '../src/modules/demo/index.js';
import { resetSchema } from './lib/pg.js';
import { log } from './lib/results.js';
import { PG_URL } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MEMBERS = arg('members', 20_000);
const OTHERS = arg('others', 180_000);
const EVENTS_PER_OTHER = arg('events-per-other', 5);
const CONFLICTS = arg('conflicts', 20_000);
export const SCALE_SCHEMA = 'siyu_scale_audit';
export const SCALE_WORKSPACE = 'ws_scale';

async function main() {
  wireModules();
  await resetSchema(SCALE_SCHEMA);
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4, options: `-c search_path=${SCALE_SCHEMA}` });
  const db = new Kysely<DB>({ dialect: createPostgresDialect(pool) });
  const t0 = performance.now();
  const since = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
  try {
    await migrateToLatest(db);
    let last = 0;
    const demo = await loadDemoBrand(db, {
      workspaceId: SCALE_WORKSPACE,
      members: MEMBERS,
      onProgress: (p) => {
        if (p.members - last >= 5_000 || p.step === 'lifecycle') log(`  demo ${p.step}: ${p.members} members, ${p.events} events (${since()})`), (last = p.members);
      },
    });
    log(`demo loaded: ${JSON.stringify({ members: demo.members, events: demo.events, orders: demo.orders, adminToken: demo.adminToken })} (${since()})`);
    const ws = SCALE_WORKSPACE;
    const events = OTHERS * EVENTS_PER_OTHER;
    await db.transaction().execute(async (trx) => {
      await sql`SELECT setseed(0.42)`.execute(trx);
      await sql`CREATE TEMP TABLE seed_ids (k int PRIMARY KEY, id bigint NOT NULL, ident bigint NOT NULL) ON COMMIT DROP`.execute(trx);
      await sql`INSERT INTO seed_ids SELECT g, nextval('profile_id_seq'), nextval(pg_get_serial_sequence('identifiers', 'id')) FROM generate_series(1, ${OTHERS}::int) g`.execute(trx);
      await sql`INSERT INTO profiles (workspace_id, id, traits, trait_times, first_seen_at, last_seen_at)
        SELECT ${ws}, s.id, jsonb_build_object('plan', (ARRAY['gold','silver','bronze'])[1 + s.k % 3], 'name', '访客' || s.k, 'city', (ARRAY['上海','北京','杭州','广州','成都'])[1 + s.k % 5]), '{}',
          now() - interval '180 days', now()
        FROM seed_ids s`.execute(trx);
      await sql`INSERT INTO identifiers (workspace_id, id, type, value, profile_id, origin_profile_id, first_seen_at) OVERRIDING SYSTEM VALUE
        SELECT ${ws}, s.ident, 'userId', 'bench-u' || s.k, s.id, s.id, now() - interval '180 days' FROM seed_ids s`.execute(trx);
      log(`  ${OTHERS} other profiles (${since()})`);
      for (let from = 1; from <= events; from += 500_000) {
        const to = Math.min(events, from + 499_999);
        await sql`INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, "timestamp", received_at, properties)
          SELECT ${ws}, 'bench-m' || r.g, 'track', (${SYNTHETIC_EVENTS}::text[])[1 + floor(random() * 6)::int],
            s.ident, s.id, now() - random() * interval '180 days', now(), jsonb_build_object('price', floor(random() * 300)::int)
          FROM (SELECT g, 1 + floor(random() * ${OTHERS}::int)::int AS k FROM generate_series(${from}::int, ${to}::int) g) r
          JOIN seed_ids s ON s.k = r.k`.execute(trx);
        log(`  ${to} other events (${since()})`);
      }
      await sql`INSERT INTO orders (workspace_id, order_id, identifier_id, profile_id, status, total_amount, paid_amount, refunded_amount, ordered_at, channel)
        SELECT ${ws}, 'bench-o' || s.k, s.ident, s.id, 'paid', 100, 100, 0, now() - random() * interval '400 days', 'mall'
        FROM seed_ids s WHERE s.k % 2 = 0`.execute(trx);
      log(`  other orders (${since()})`);
    });
    await sql`INSERT INTO identity_conflicts (workspace_id, a, b, reason, message_id, event_time)
      SELECT ${ws}, i.id, j.id, 'limit:userId', 'bench-conflict-' || i.id, now()
      FROM identifiers i JOIN identifiers j ON j.workspace_id = i.workspace_id AND j.type = 'userId' AND j.value = 'bench-u' || (substr(i.value, 8)::int + 1)
      WHERE i.workspace_id = ${ws} AND i.type = 'userId' AND i.value LIKE 'bench-u%' AND substr(i.value, 8)::int % ${Math.max(1, Math.floor(OTHERS / CONFLICTS))} = 0
      ORDER BY i.id LIMIT ${CONFLICTS} ON CONFLICT DO NOTHING`.execute(db);
    await sql`ANALYZE`.execute(db);
    const { rows } = await sql<{ t: string; n: number }>`
      SELECT 'profiles' AS t, count(*)::int AS n FROM profiles UNION ALL SELECT 'events', count(*)::int FROM events
      UNION ALL SELECT 'orders', count(*)::int FROM orders UNION ALL SELECT 'identifiers', count(*)::int FROM identifiers
      UNION ALL SELECT 'identity_conflicts', count(*)::int FROM identity_conflicts UNION ALL SELECT 'tag_assignments', count(*)::int FROM tag_assignments`.execute(db);
    log(`done (${since()}): ${rows.map((r) => `${r.t} ${r.n}`).join(', ')}`);
  } finally {
    await db.destroy();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
