import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { COUNTED_ORDER_STATUSES } from '../rules/index.js';
import { RFM_CLASS_LABELS, type RfmReport } from './schema.js';
import { getLifecycleSettings } from './settings.js';

/**
 * RFM as of a reference date, from counted orders (refunds excluded, net of partial refunds), for every live profile
 * with at least one: R = whole days since the last order, F = orders in the window, M = net amount in the window.
 * Both scorings are stored: 1–5 scores by rank (ties share a score; 5 is best) and the 8-class model (each dimension
 * high when at least as good as the mean). One statement replaces the workspace's rows.
 */
export async function computeRfm(db: Kysely<DB>, workspaceId: string, referenceDate: Date): Promise<{ profiles: number }> {
  const settings = (await getLifecycleSettings(db, workspaceId)).rfm;
  const windowStart = new Date(referenceDate.getTime() - settings.windowDays * 86_400_000);
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('profile_rfm').where('workspace_id', '=', workspaceId).execute();
    const { rows } = await sql<{ n: number }>`
      WITH base AS (
        SELECT o.profile_id, max(o.ordered_at) AS last_at,
          count(*) FILTER (WHERE o.ordered_at >= ${windowStart})::int AS f,
          COALESCE(sum(o.paid_amount - o.refunded_amount) FILTER (WHERE o.ordered_at >= ${windowStart}), 0) AS m
        FROM orders o JOIN profiles p ON p.workspace_id = o.workspace_id AND p.id = o.profile_id AND p.merged_into IS NULL
        WHERE o.workspace_id = ${workspaceId} AND o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[]) AND o.ordered_at <= ${referenceDate}
        GROUP BY o.profile_id
      ),
      measured AS (SELECT profile_id, floor(extract(epoch FROM (${referenceDate}::timestamptz - last_at)) / 86400)::int AS r_days, f, m FROM base),
      stats AS (SELECT avg(r_days) AS ar, avg(f) AS af, avg(m) AS am, count(*) AS n FROM measured),
      scored AS (
        SELECT x.*,
          LEAST(5, 1 + floor(5.0 * (rank() OVER (ORDER BY r_days DESC) - 1) / s.n))::smallint AS r_score,
          LEAST(5, 1 + floor(5.0 * (rank() OVER (ORDER BY f) - 1) / s.n))::smallint AS f_score,
          LEAST(5, 1 + floor(5.0 * (rank() OVER (ORDER BY m) - 1) / s.n))::smallint AS m_score,
          (x.r_days <= s.ar) AS rh, (x.f >= s.af) AS fh, (x.m >= s.am) AS mh
        FROM measured x CROSS JOIN stats s
      ),
      inserted AS (
        INSERT INTO profile_rfm (workspace_id, profile_id, recency_days, frequency, monetary, r_score, f_score, m_score, class8, computed_at)
        SELECT ${workspaceId}, profile_id, r_days, f, m, r_score, f_score, m_score,
          (CASE WHEN mh THEN 'important_' ELSE 'general_' END) ||
          (CASE WHEN rh AND fh THEN 'value' WHEN rh THEN 'develop' WHEN fh THEN 'retain' ELSE 'winback' END),
          ${referenceDate}
        FROM scored
        RETURNING 1
      )
      SELECT count(*)::int AS n FROM inserted`.execute(trx);
    return { profiles: rows[0]?.n ?? 0 };
  });
}

/** Counts and revenue per class (8-class) and the R×F grid of quintile scores. */
export async function rfmReport(db: Kysely<DB>, workspaceId: string): Promise<RfmReport> {
  const settings = (await getLifecycleSettings(db, workspaceId)).rfm;
  const { rows: classes } = await sql<{ class8: string; profiles: number; revenue: number }>`
    SELECT class8, count(*)::int AS profiles, COALESCE(sum(monetary), 0)::float8 AS revenue FROM profile_rfm
    WHERE workspace_id = ${workspaceId} GROUP BY class8`.execute(db);
  const { rows: grid } = await sql<{ r: number; f: number; profiles: number; revenue: number }>`
    SELECT r_score::int AS r, f_score::int AS f, count(*)::int AS profiles, COALESCE(sum(monetary), 0)::float8 AS revenue FROM profile_rfm
    WHERE workspace_id = ${workspaceId} GROUP BY r_score, f_score ORDER BY r_score, f_score`.execute(db);
  const computed = await db
    .selectFrom('profile_rfm')
    .select(sql<Date | null>`max(computed_at)`.as('at'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  const byClass = new Map(classes.map((c) => [c.class8, c]));
  return {
    scoring: settings.scoring,
    classes: Object.entries(RFM_CLASS_LABELS).map(([class8, label]) => ({
      class8,
      label,
      profiles: byClass.get(class8)?.profiles ?? 0,
      revenue: byClass.get(class8)?.revenue ?? 0,
    })),
    grid,
    computedAt: computed?.at ?? null,
  };
}
