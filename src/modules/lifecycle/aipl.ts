import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { COUNTED_ORDER_STATUSES, dayIn, workspaceContext } from '../rules/index.js';
import type { AiplReport, LifecycleSettings } from './schema.js';
import { refreshWorkspaceStages } from './aipl-workspace.js';
import { getLifecycleSettings } from './settings.js';

export const STAGES = ['A', 'I', 'P', 'L'] as const;

/** The level (1–4 for A–P–I–L) an event of alias `e` stands for, and the event names that count at all. */
export function stageLevels(settings: LifecycleSettings['aipl']) {
  const { A, I, P, L } = settings.stages;
  // A page or screen call keeps its page name in `event`; for the stages it is a page/screen view whatever its name.
  const eventName = sql`CASE e.type WHEN 'page' THEN 'Page Viewed' WHEN 'screen' THEN 'Screen Viewed' ELSE e.event END`;
  const eventLevel = sql<number>`CASE WHEN ${eventName} = ANY(${L}::text[]) THEN 4 WHEN ${eventName} = ANY(${P}::text[]) THEN 3
        WHEN ${eventName} = ANY(${I}::text[]) THEN 2 ELSE 1 END`;
  return { eventName, eventLevel, names: [...A, ...I, ...P, ...L] };
}

/**
 * AIPL: a profile's stage is the highest it qualifies for within the window (events mapped to stages; one counted
 * order makes P, `repurchaseOrders` of them make L). Computed set-based, for given profiles (real time) or the whole
 * workspace (daily, `refreshWorkspaceStages`); only changes are written, each with a history row, so flows can be reported.
 */
export async function refreshStages(db: Kysely<DB>, workspaceId: string, now: Date, profileIds?: number[]): Promise<{ changed: number }> {
  if (!profileIds) return refreshWorkspaceStages(db, workspaceId, now);
  if (profileIds.length === 0) return { changed: 0 };
  const settings = (await getLifecycleSettings(db, workspaceId)).aipl;
  const since = new Date(now.getTime() - settings.windowDays * 86_400_000);
  const { eventName, eventLevel, names } = stageLevels(settings);
  const level = sql`max(${eventLevel})`;
  const eventFilter = sql`e."timestamp" >= ${since} AND e."timestamp" <= ${now} AND ${eventName} = ANY(${names}::text[])`;
  const orderFilter = sql`o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[]) AND o.ordered_at >= ${since} AND o.ordered_at <= ${now}`;
  const orderLevel = sql`CASE WHEN count(*) >= ${settings.repurchaseOrders} THEN 4 ELSE 3 END`;
  // For a few profiles, look each one up through its (profile, time) index: a plain `profile_id = ANY(…)` let the
  // planner scan the whole window by event name instead, which grows with the workspace, not with the batch.
  const levels = sql`
    ev AS (
      SELECT x.pid AS profile_id, l.lvl FROM unnest(${profileIds}::bigint[]) AS x(pid)
      CROSS JOIN LATERAL (SELECT ${level} AS lvl FROM events e WHERE e.workspace_id = ${workspaceId} AND e.profile_id = x.pid AND ${eventFilter}) l
      WHERE l.lvl IS NOT NULL
    ),
    ord AS (
      SELECT x.pid AS profile_id, l.lvl FROM unnest(${profileIds}::bigint[]) AS x(pid)
      CROSS JOIN LATERAL (SELECT ${orderLevel} AS lvl, count(*) AS n FROM orders o WHERE o.workspace_id = ${workspaceId} AND o.profile_id = x.pid AND ${orderFilter}) l
      WHERE l.n > 0
    ),`;
  const { rows } = await sql<{ changed: number }>`
    WITH ${levels}
    lv AS (SELECT profile_id, max(lvl) AS lvl FROM (SELECT * FROM ev UNION ALL SELECT * FROM ord) x GROUP BY profile_id),
    -- The live profiles and their stored stages are looked up by key too: joined, the planner read the workspace's
    -- whole profiles table and profile_lifecycle (29k rows each at 20k profiles) to hash them for 500 profiles.
    target AS (
      SELECT x.pid AS profile_id, (ARRAY['A','I','P','L'])[lv.lvl] AS stage FROM unnest(${profileIds}::bigint[]) AS x(pid)
      CROSS JOIN LATERAL (SELECT 1 FROM profiles p WHERE p.workspace_id = ${workspaceId} AND p.id = x.pid AND p.merged_into IS NULL OFFSET 0) p
      LEFT JOIN lv ON lv.profile_id = x.pid
    ),
    changed AS (
      SELECT t.profile_id, cur.stage AS from_stage, t.stage AS to_stage FROM target t
      LEFT JOIN LATERAL (SELECT stage FROM profile_lifecycle WHERE workspace_id = ${workspaceId} AND profile_id = t.profile_id OFFSET 0) cur ON true
      WHERE t.stage IS DISTINCT FROM cur.stage
    ),
    upserted AS (
      INSERT INTO profile_lifecycle (workspace_id, profile_id, stage, since)
      SELECT ${workspaceId}, profile_id, to_stage, ${now} FROM changed WHERE to_stage IS NOT NULL
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET stage = excluded.stage, since = excluded.since
    ),
    deleted AS (
      DELETE FROM profile_lifecycle pl USING changed c
      WHERE pl.workspace_id = ${workspaceId} AND pl.profile_id = c.profile_id AND c.to_stage IS NULL
    ),
    history AS (
      INSERT INTO lifecycle_history (workspace_id, profile_id, origin_profile_id, from_stage, to_stage, at)
      SELECT ${workspaceId}, profile_id, profile_id, from_stage, to_stage, ${now} FROM changed
    )
    SELECT count(*)::int AS changed FROM changed`.execute(db);
  return { changed: rows[0]?.changed ?? 0 };
}

/** Records today's count per stage (the daily trend); run after a full refresh. */
export async function snapshotDailyCounts(db: Kysely<DB>, workspaceId: string, now: Date): Promise<void> {
  const ctx = await workspaceContext(db, workspaceId, now);
  await sql`DELETE FROM lifecycle_daily WHERE workspace_id = ${workspaceId} AND day = ${ctx.today}::date`.execute(db);
  await sql`INSERT INTO lifecycle_daily (workspace_id, day, stage, profiles)
    SELECT ${workspaceId}, ${ctx.today}::date, s.stage, COALESCE(c.n, 0) FROM unnest(${[...STAGES]}::text[]) AS s(stage)
    LEFT JOIN (SELECT stage, count(*)::int AS n FROM profile_lifecycle WHERE workspace_id = ${workspaceId} GROUP BY stage) c ON c.stage = s.stage`.execute(db);
}

/** Daily counts per stage and the flows between stages (with back-flows when a window lapsed) over a period. */
export async function aiplReport(db: Kysely<DB>, workspaceId: string, from: Date, to: Date): Promise<AiplReport> {
  const tz = (await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst())?.timezone ?? 'UTC';
  const { rows: daily } = await sql<{ day: string; stage: string; profiles: number }>`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, stage, profiles FROM lifecycle_daily
    WHERE workspace_id = ${workspaceId} AND day BETWEEN ${dayIn(from, tz)}::date AND ${dayIn(to, tz)}::date ORDER BY day`.execute(db);
  const byDay = new Map<string, { day: string; A: number; I: number; P: number; L: number }>();
  for (const r of daily) {
    const entry = byDay.get(r.day) ?? { day: r.day, A: 0, I: 0, P: 0, L: 0 };
    if ((STAGES as readonly string[]).includes(r.stage)) entry[r.stage as (typeof STAGES)[number]] = r.profiles;
    byDay.set(r.day, entry);
  }
  const { rows: flows } = await sql<{ from: string; to: string; profiles: number }>`
    SELECT COALESCE(from_stage, 'none') AS "from", COALESCE(to_stage, 'none') AS "to", count(DISTINCT profile_id)::int AS profiles
    FROM lifecycle_history WHERE workspace_id = ${workspaceId} AND at >= ${from} AND at <= ${to}
    GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  const rank = (s: string) => (STAGES as readonly string[]).indexOf(s);
  return { daily: [...byDay.values()], flows: flows.map((f) => ({ ...f, backflow: rank(f.to) < rank(f.from) })) };
}
