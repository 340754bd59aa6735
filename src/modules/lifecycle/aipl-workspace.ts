import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { COUNTED_ORDER_STATUSES, inBatchTransaction, stageQuery } from '../rules/index.js';
import { stageLevels } from './aipl.js';
import { getLifecycleSettings } from './settings.js';

/**
 * The daily AIPL pass over a whole workspace: each live profile's stage from its events and counted orders in the
 * window, compared with the stored stages; only changes are written, each with a history row.
 *
 * Profiles without a qualifying event or order have no stage and need no row, so instead of joining every profile
 * to its level and then to its stored stage, the profiles that have a level are matched with the stored stages
 * (a full join): a stored stage without a level now lapses, if its profile is still live. Inserts go in key order.
 */
export async function refreshWorkspaceStages(db: Kysely<DB>, workspaceId: string, now: Date): Promise<{ changed: number }> {
  const settings = (await getLifecycleSettings(db, workspaceId)).aipl;
  const since = new Date(now.getTime() - settings.windowDays * 86_400_000);
  const { eventLevel, names } = stageLevels(settings);
  const window = sql`e."timestamp" >= ${since} AND e."timestamp" <= ${now}`;
  // A track call counts by its name, read through the (workspace, event, time) index that carries profile and type;
  // page and screen calls count as Page / Screen Viewed whatever their name, so they are read apart, by type.
  const viewTypes = [...(names.includes('Page Viewed') ? ['page'] : []), ...(names.includes('Screen Viewed') ? ['screen'] : [])];
  // Each read is grouped on its own and joined to the live profiles by profile id: the planner estimates those joins
  // from the column's statistics (a grouped UNION ALL is estimated at 200 rows, a join on a COALESCE of full-joined
  // ids at millions), and a left join, unlike a full join, can run in parallel.
  const views = viewTypes.length
    ? {
        cte: sql`evv AS (
          SELECT e.profile_id, max(${eventLevel}) AS lvl FROM events e
          WHERE e.workspace_id = ${workspaceId} AND e.type = ANY(${viewTypes}::text[]) AND e.profile_id IS NOT NULL AND ${window}
          GROUP BY e.profile_id
        ),`,
        join: sql`LEFT JOIN evv ON evv.profile_id = p.id`,
        lvl: sql`evv.lvl, `,
        any: sql`evv.profile_id IS NOT NULL OR `,
      }
    : { cte: sql``, join: sql``, lvl: sql``, any: sql`` };
  return inBatchTransaction(db, async (trx) => {
    // Read-only, so PostgreSQL may run it with parallel workers: every change, with the stored row's address.
    const changed = await stageQuery(trx, 'aipl_changed', sql`
      WITH evt AS (
        SELECT e.profile_id, max(${eventLevel}) AS lvl FROM events e
        WHERE e.workspace_id = ${workspaceId} AND e.event = ANY(${names}::text[]) AND e.type <> ALL(ARRAY['page', 'screen'])
          AND e.profile_id IS NOT NULL AND ${window}
        GROUP BY e.profile_id
      ),
      ${views.cte}
      ord AS (
        SELECT o.profile_id, CASE WHEN count(*) >= ${settings.repurchaseOrders} THEN 4 ELSE 3 END AS lvl FROM orders o
        WHERE o.workspace_id = ${workspaceId} AND o.profile_id IS NOT NULL AND o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[])
          AND o.ordered_at >= ${since} AND o.ordered_at <= ${now}
        GROUP BY o.profile_id
      ),
      -- Only profiles that have a level (greatest ignores the missing ones).
      staged AS (
        SELECT p.id AS profile_id, (ARRAY['A','I','P','L'])[greatest(evt.lvl, ${views.lvl}ord.lvl)] AS stage
        FROM profiles p LEFT JOIN evt ON evt.profile_id = p.id ${views.join} LEFT JOIN ord ON ord.profile_id = p.id
        WHERE p.workspace_id = ${workspaceId} AND p.merged_into IS NULL AND (evt.profile_id IS NOT NULL OR ${views.any}ord.profile_id IS NOT NULL)
      ),
      cur AS (SELECT ctid AS row_id, profile_id, stage FROM profile_lifecycle WHERE workspace_id = ${workspaceId})
      SELECT COALESCE(t.profile_id, c.profile_id) AS profile_id, c.row_id, c.stage AS from_stage, t.stage AS to_stage
      FROM staged t FULL JOIN cur c ON c.profile_id = t.profile_id
      WHERE t.stage IS DISTINCT FROM c.stage
        AND (t.profile_id IS NOT NULL OR EXISTS (
          SELECT 1 FROM profiles p WHERE p.workspace_id = ${workspaceId} AND p.id = c.profile_id AND p.merged_into IS NULL))`);
    const { rows } = await sql<{ changed: number }>`
      WITH upserted AS (
        INSERT INTO profile_lifecycle (workspace_id, profile_id, stage, since)
        SELECT ${workspaceId}, profile_id, to_stage, ${now} FROM ${sql.raw(changed)} WHERE to_stage IS NOT NULL ORDER BY profile_id
        ON CONFLICT (workspace_id, profile_id) DO UPDATE SET stage = excluded.stage, since = excluded.since
      ),
      -- Lapsed stages are deleted by the row address read above: a direct lookup whatever the planner believes about
      -- the table's size (right after a first run its statistics still say empty). The profile is checked too, in
      -- case the real-time evaluator moved that row in between.
      deleted AS (
        DELETE FROM profile_lifecycle pl
        WHERE pl.ctid = ANY(ARRAY(SELECT row_id FROM ${sql.raw(changed)} WHERE to_stage IS NULL)) AND pl.workspace_id = ${workspaceId}
          AND pl.profile_id = ANY(ARRAY(SELECT profile_id FROM ${sql.raw(changed)} WHERE to_stage IS NULL))
      ),
      history AS (
        INSERT INTO lifecycle_history (workspace_id, profile_id, origin_profile_id, from_stage, to_stage, at)
        SELECT ${workspaceId}, profile_id, profile_id, from_stage, to_stage, ${now} FROM ${sql.raw(changed)} ORDER BY profile_id
      )
      SELECT count(*)::int AS changed FROM ${sql.raw(changed)}`.execute(trx);
    return { changed: rows[0]?.changed ?? 0 };
  });
}
