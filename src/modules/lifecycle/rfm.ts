import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { COUNTED_ORDER_STATUSES, inBatchTransaction } from '../rules/index.js';
import { RFM_CLASS_LABELS, type RfmReport } from './schema.js';
import { getLifecycleSettings } from './settings.js';

/**
 * RFM as of a reference date, from counted orders (refunds excluded, net of partial refunds), for every live profile
 * with at least one: R = whole days since the last order, F = orders in the window, M = net amount in the window.
 * Both scorings are stored: 1–5 scores by rank (ties share a score; 5 is best) and the 8-class model (each dimension
 * high when at least as good as the mean). One statement brings the workspace's rows up to date; a row's computed_at
 * is the reference date of the run that last changed it.
 *
 * The quintile score is 1 + floor(5·c / n), c = profiles strictly worse (rank − 1), i.e. 1 + #{k = 1..4 : c ≥ q_k}
 * with q_k = ceil(k·n / 5); and c ≥ q ⇔ the q-th worst value is worse than the profile's own. So four cut values per
 * dimension, read off each dimension's distinct values with running counts, score every profile with comparisons:
 * no sort of the profiles' rows (three rank() sorts of them took most of the time at 1M profiles).
 */
export async function computeRfm(db: Kysely<DB>, workspaceId: string, referenceDate: Date): Promise<{ profiles: number }> {
  const settings = (await getLifecycleSettings(db, workspaceId)).rfm;
  const windowStart = new Date(referenceDate.getTime() - settings.windowDays * 86_400_000);
  // Every dimension as "higher is better" (recency as minus the days), its distinct values with running counts.
  const running = (dim: string, value: string, column: string) =>
    sql`SELECT ${dim} AS dim, v, sum(c) OVER (ORDER BY v) AS cum
      FROM (SELECT ${sql.raw(value)} AS v, count(*) AS c FROM measured GROUP BY ${sql.ref(column)}) counts`;
  const cut = (dim: string, k: number) => sql`min(v) FILTER (WHERE dim = ${dim} AND cum >= (n * ${k} + 4) / 5)`.as(`${dim}${k}`);
  const score = (dim: string, value: string) => {
    const above = [1, 2, 3, 4].map((k) => sql`(${sql.raw(value)} > c.${sql.raw(`${dim}${k}`)})::int`);
    return sql`(1 + ${sql.join(above, sql` + `)})::smallint`;
  };
  const values = ['recency_days', 'frequency', 'monetary', 'r_score', 'f_score', 'm_score', 'class8'] as const;
  const { rows } = await inBatchTransaction(db, (trx) => sql<{ n: number }>`
    WITH base AS (
      SELECT o.profile_id, max(o.ordered_at) AS last_at,
        count(*) FILTER (WHERE o.ordered_at >= ${windowStart})::int AS f,
        COALESCE(sum(o.paid_amount - o.refunded_amount) FILTER (WHERE o.ordered_at >= ${windowStart}), 0) AS m
      FROM orders o JOIN profiles p ON p.workspace_id = o.workspace_id AND p.id = o.profile_id AND p.merged_into IS NULL
      WHERE o.workspace_id = ${workspaceId} AND o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[]) AND o.ordered_at <= ${referenceDate}
      GROUP BY o.profile_id
    ),
    measured AS MATERIALIZED (SELECT profile_id, floor(extract(epoch FROM (${referenceDate}::timestamptz - last_at)) / 86400)::int AS r_days, f, m FROM base),
    stats AS (SELECT avg(r_days) AS ar, avg(f) AS af, avg(m) AS am, count(*) AS n FROM measured),
    running AS (${running('r', '-r_days::numeric', 'r_days')} UNION ALL ${running('f', 'f::numeric', 'f')} UNION ALL ${running('m', 'm', 'm')}),
    cuts AS (SELECT ${sql.join(['r', 'f', 'm'].flatMap((d) => [1, 2, 3, 4].map((k) => cut(d, k))))} FROM running CROSS JOIN stats),
    scored AS (
      SELECT x.profile_id, x.r_days AS recency_days, x.f AS frequency, x.m AS monetary,
        ${score('r', '-x.r_days')} AS r_score, ${score('f', 'x.f')} AS f_score, ${score('m', 'x.m')} AS m_score,
        (CASE WHEN x.m >= s.am THEN 'important_' ELSE 'general_' END) ||
        (CASE WHEN x.r_days <= s.ar AND x.f >= s.af THEN 'value' WHEN x.r_days <= s.ar THEN 'develop' WHEN x.f >= s.af THEN 'retain' ELSE 'winback' END) AS class8
      FROM measured x CROSS JOIN stats s CROSS JOIN cuts c
    ),
    -- Only differences are written. One pass over the stored rows finds them (with each row's address, so the
    -- update and delete below go straight to it): rows of profiles without counted orders any more go, changed
    -- rows are updated (keeping the workspace key, so no foreign-key check), new ones inserted in key order.
    diff AS MATERIALIZED (
      SELECT s.*, r.ctid AS row_id FROM scored s
      FULL JOIN (SELECT ctid, * FROM profile_rfm WHERE workspace_id = ${workspaceId}) r ON r.profile_id = s.profile_id
      WHERE s.profile_id IS NULL OR r.profile_id IS NULL
        OR (${sql.join(values.map((v) => sql.ref(`r.${v}`)))}) IS DISTINCT FROM (${sql.join(values.map((v) => sql.ref(`s.${v}`)))})
    ),
    gone AS (
      DELETE FROM profile_rfm r WHERE r.ctid = ANY(ARRAY(SELECT row_id FROM diff WHERE profile_id IS NULL)) AND r.workspace_id = ${workspaceId}
    ),
    updated AS (
      UPDATE profile_rfm r SET ${sql.join(values.map((v) => sql`${sql.ref(v)} = ${sql.ref(`d.${v}`)}`))}, computed_at = ${referenceDate}
      FROM diff d WHERE d.profile_id IS NOT NULL AND r.ctid = d.row_id AND r.workspace_id = ${workspaceId}
    ),
    inserted AS (
      INSERT INTO profile_rfm (workspace_id, profile_id, ${sql.join(values.map((v) => sql.ref(v)))}, computed_at)
      SELECT ${workspaceId}, profile_id, ${sql.join(values.map((v) => sql.ref(v)))}, ${referenceDate} FROM diff
      WHERE row_id IS NULL ORDER BY profile_id
    )
    SELECT count(*)::int AS n FROM measured`.execute(trx));
  return { profiles: rows[0]?.n ?? 0 };
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
