import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { COUNTED_ORDER_STATUSES, workspaceContext } from '../rules/index.js';
import { STAGES, stageLevels } from './aipl.js';
import { getLifecycleSettings } from './settings.js';

const DAY_MS = 86_400_000;

/**
 * Replays the daily stage pass (refreshStages + snapshotDailyCounts of the whole workspace) as if it had run once a
 * day at `now`'s time of day over the last `days` days, plus one run the day before that places everyone first, so
 * the period's flows are movements rather than first placements. It replaces the workspace's stages, history and
 * daily counts: for a workspace whose data arrived all at once, such as the demo brand.
 *
 * Set-based instead of a refresh per day (on embedded PostgreSQL each refresh of the demo brand took 4–10 s on a
 * busy machine, 30 of them ~4 minutes; this takes ~10 s there). It is the same computation: run k (k days back, at = now − k days) sees an event when
 * at − window ≤ t ≤ at, i.e. for k in [ceil(age) − window, floor(age)] with age = (now − t) in days, so each event
 * is spread over the runs that saw it; orders likewise, counted. Stages per (profile, run) give the daily counts,
 * and the differences between consecutive runs the history rows, stamped with the run's time.
 */
export async function backfillLifecycle(db: Kysely<DB>, workspaceId: string, now: Date, opts: { days?: number } = {}): Promise<{ runs: number; changes: number }> {
  const oldest = (opts.days ?? 30) + 1;
  const settings = (await getLifecycleSettings(db, workspaceId)).aipl;
  const window = settings.windowDays;
  const { eventName, eventLevel, names } = stageLevels(settings);
  const earliest = new Date(now.getTime() - (oldest + window) * DAY_MS);
  const runs = Array.from({ length: oldest + 1 }, (_, k) => k);
  const days = await Promise.all(runs.map(async (k) => (await workspaceContext(db, workspaceId, new Date(now.getTime() - k * DAY_MS))).today));
  // The runs that saw a moment t, from its age in whole microseconds (the timestamps' precision) so day boundaries
  // are exact: from ceil(age) − window to floor(age), within the replayed runs. Grouped by that span before spreading.
  const ageUs = (column: string) => sql`(extract(epoch FROM (${now}::timestamptz - ${sql.ref(column)})) * 1000000)::bigint`;
  const dayUs = sql`86400000000::bigint`;
  const lo = (column: string) => sql<number>`greatest(((${ageUs(column)} + ${dayUs} - 1) / ${dayUs})::int - ${window}::int, 0)`;
  const hi = (column: string) => sql<number>`least((${ageUs(column)} / ${dayUs})::int, ${oldest}::int)`;

  // In the caller's transaction when given one (the demo runs it holding the workspace's rules lock).
  const inTransaction = <T>(fn: (trx: Kysely<DB>) => Promise<T>) => (db.isTransaction ? fn(db) : db.transaction().execute(fn));
  return inTransaction(async (trx) => {
    for (const table of ['lifecycle_history', 'lifecycle_daily', 'profile_lifecycle']) {
      await sql`DELETE FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId}`.execute(trx);
    }
    await sql`DROP TABLE IF EXISTS lifecycle_backfill`.execute(trx);
    await sql`CREATE TEMP TABLE lifecycle_backfill ON COMMIT DROP AS
      WITH ev AS (
        SELECT e.profile_id, ${lo('e.timestamp')} AS lo, ${hi('e.timestamp')} AS hi, max(${eventLevel}) AS lvl
        FROM events e WHERE e.workspace_id = ${workspaceId} AND e.profile_id IS NOT NULL
          AND e."timestamp" >= ${earliest} AND e."timestamp" <= ${now} AND ${eventName} = ANY(${names}::text[])
        GROUP BY 1, 2, 3
      ),
      ord AS (
        SELECT o.profile_id, ${lo('o.ordered_at')} AS lo, ${hi('o.ordered_at')} AS hi, count(*) AS n FROM orders o
        WHERE o.workspace_id = ${workspaceId} AND o.profile_id IS NOT NULL AND o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[])
          AND o.ordered_at >= ${earliest} AND o.ordered_at <= ${now}
        GROUP BY 1, 2, 3
      ),
      ev_runs AS (SELECT ev.profile_id, k, max(ev.lvl) AS lvl FROM ev, generate_series(ev.lo, ev.hi) AS k GROUP BY 1, 2),
      ord_runs AS (
        SELECT ord.profile_id, k, CASE WHEN sum(ord.n) >= ${settings.repurchaseOrders} THEN 4 ELSE 3 END AS lvl
        FROM ord, generate_series(ord.lo, ord.hi) AS k GROUP BY 1, 2
      ),
      lv AS (SELECT profile_id, k, max(lvl) AS lvl FROM (SELECT * FROM ev_runs UNION ALL SELECT * FROM ord_runs) x GROUP BY 1, 2)
      SELECT lv.profile_id, lv.k::int AS k, (ARRAY['A','I','P','L'])[lv.lvl] AS stage FROM lv
      JOIN profiles p ON p.workspace_id = ${workspaceId} AND p.id = lv.profile_id AND p.merged_into IS NULL`.execute(trx);
    await sql`ANALYZE lifecycle_backfill`.execute(trx); // the joins below are planned on its size, not a guess
    // A change at run k: the stage differs from run k + 1's (none before the oldest run, none when a window lapsed).
    const at = (k: string) => sql`${now}::timestamptz - make_interval(secs => ${sql.ref(k)} * 86400)`;
    const { rows } = await sql<{ n: number }>`
      WITH changes AS (
        SELECT COALESCE(cur.profile_id, prev.profile_id) AS profile_id, COALESCE(cur.k, prev.k - 1) AS k, prev.stage AS from_stage, cur.stage AS to_stage
        FROM lifecycle_backfill cur FULL JOIN lifecycle_backfill prev ON prev.profile_id = cur.profile_id AND prev.k = cur.k + 1
        WHERE COALESCE(cur.k, prev.k - 1) >= 0 AND cur.stage IS DISTINCT FROM prev.stage
      ),
      history AS (
        INSERT INTO lifecycle_history (workspace_id, profile_id, origin_profile_id, from_stage, to_stage, at)
        SELECT ${workspaceId}, profile_id, profile_id, from_stage, to_stage, ${at('k')} FROM changes ORDER BY k DESC, profile_id
      ),
      current AS (
        INSERT INTO profile_lifecycle (workspace_id, profile_id, stage, since)
        SELECT ${workspaceId}, b.profile_id, b.stage, ${at('c.k')} FROM lifecycle_backfill b
        JOIN (SELECT profile_id, min(k) AS k FROM changes GROUP BY 1) c ON c.profile_id = b.profile_id
        WHERE b.k = 0
      )
      SELECT count(*)::int AS n FROM changes`.execute(trx);
    // Later runs of the same calendar day (a daylight-saving shift) overwrite earlier ones, as the daily snapshot does.
    await sql`INSERT INTO lifecycle_daily (workspace_id, day, stage, profiles)
      SELECT DISTINCT ON (r.day, s.stage) ${workspaceId}, r.day::date, s.stage, COALESCE(c.n, 0)
      FROM unnest(${runs}::int[], ${days}::text[]) AS r(k, day) CROSS JOIN unnest(${[...STAGES]}::text[]) AS s(stage)
      LEFT JOIN (SELECT k, stage, count(*)::int AS n FROM lifecycle_backfill GROUP BY 1, 2) c ON c.k = r.k AND c.stage = s.stage
      ORDER BY r.day, s.stage, r.k`.execute(trx);
    return { runs: runs.length, changes: rows[0]?.n ?? 0 };
  });
}
