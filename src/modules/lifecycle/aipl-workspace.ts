import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { COUNTED_ORDER_STATUSES } from '../rules/index.js';
import { stageLevels } from './aipl.js';
import { inBulkTransaction } from './bulk.js';
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
  const { eventName, eventLevel, names } = stageLevels(settings);
  const { rows } = await inBulkTransaction(db, (trx) => sql<{ changed: number }>`
    WITH ev AS (
      SELECT e.profile_id, max(${eventLevel}) AS lvl FROM events e
      WHERE e.workspace_id = ${workspaceId} AND e.profile_id IS NOT NULL
        AND e."timestamp" >= ${since} AND e."timestamp" <= ${now} AND ${eventName} = ANY(${names}::text[])
      GROUP BY e.profile_id
    ),
    ord AS (
      SELECT o.profile_id, CASE WHEN count(*) >= ${settings.repurchaseOrders} THEN 4 ELSE 3 END AS lvl FROM orders o
      WHERE o.workspace_id = ${workspaceId} AND o.profile_id IS NOT NULL AND o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[])
        AND o.ordered_at >= ${since} AND o.ordered_at <= ${now}
      GROUP BY o.profile_id
    ),
    -- A full join rather than a union regrouped: the planner then knows about how many profiles have a level.
    lv AS (SELECT COALESCE(ev.profile_id, ord.profile_id) AS profile_id, greatest(ev.lvl, ord.lvl) AS lvl FROM ev FULL JOIN ord ON ord.profile_id = ev.profile_id),
    staged AS (
      SELECT lv.profile_id, (ARRAY['A','I','P','L'])[lv.lvl] AS stage FROM lv
      JOIN profiles p ON p.workspace_id = ${workspaceId} AND p.id = lv.profile_id AND p.merged_into IS NULL
    ),
    cur AS (SELECT ctid AS row_id, profile_id, stage FROM profile_lifecycle WHERE workspace_id = ${workspaceId}),
    changed AS MATERIALIZED (
      SELECT COALESCE(t.profile_id, c.profile_id) AS profile_id, c.row_id, c.stage AS from_stage, t.stage AS to_stage
      FROM staged t FULL JOIN cur c ON c.profile_id = t.profile_id
      WHERE t.stage IS DISTINCT FROM c.stage
        AND (t.profile_id IS NOT NULL OR EXISTS (
          SELECT 1 FROM profiles p WHERE p.workspace_id = ${workspaceId} AND p.id = c.profile_id AND p.merged_into IS NULL))
    ),
    upserted AS (
      INSERT INTO profile_lifecycle (workspace_id, profile_id, stage, since)
      SELECT ${workspaceId}, profile_id, to_stage, ${now} FROM changed WHERE to_stage IS NOT NULL ORDER BY profile_id
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET stage = excluded.stage, since = excluded.since
    ),
    -- Lapsed stages are deleted by the row address read above (same snapshot): a direct lookup whatever the
    -- planner believes about the table's size (right after a first run its statistics still say empty).
    deleted AS (
      DELETE FROM profile_lifecycle pl
      WHERE pl.ctid = ANY(ARRAY(SELECT row_id FROM changed WHERE to_stage IS NULL)) AND pl.workspace_id = ${workspaceId}
    ),
    history AS (
      INSERT INTO lifecycle_history (workspace_id, profile_id, origin_profile_id, from_stage, to_stage, at)
      SELECT ${workspaceId}, profile_id, profile_id, from_stage, to_stage, ${now} FROM changed ORDER BY profile_id
    )
    SELECT count(*)::int AS changed FROM changed`.execute(trx));
  return { changed: rows[0]?.changed ?? 0 };
}
