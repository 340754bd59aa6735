import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { dailyFigures, type DayFigures } from './rollup.js';

export interface DailyPoint {
  day: string;
  value: number;
}

/**
 * The numbers on the console's overview: audience size and activity (live), new members, orders and GMV per day
 * (refunds subtracted) and events per day, over the workspace-local days from `days` days ago through today, in the
 * workspace's time zone; a series lists the days that have any. Past days come from the daily roll-up (rollup.ts).
 */
export async function overviewStats(db: Db, workspaceId: string, days: number) {
  const [totals, { timezone, daily }] = await Promise.all([
    // One pass over the live profiles and one over the three identifier types (five counting subqueries before).
    sql<{ profiles: number; members: number; active30: number; reachable_wechat: number; reachable_wecom: number }>`
      SELECT p.profiles, p.active30, i.members, i.reachable_wechat, i.reachable_wecom
      FROM (SELECT count(*)::int AS profiles, (count(*) FILTER (WHERE last_seen_at > now() - interval '30 days'))::int AS active30
            FROM profiles WHERE workspace_id = ${workspaceId} AND merged_into IS NULL) p,
        (SELECT (count(DISTINCT profile_id) FILTER (WHERE type = 'member_no'))::int AS members,
           (count(DISTINCT profile_id) FILTER (WHERE type = 'wechat_openid'))::int AS reachable_wechat,
           (count(DISTINCT profile_id) FILTER (WHERE type = 'wecom_external_userid'))::int AS reachable_wecom
         FROM identifiers WHERE workspace_id = ${workspaceId} AND type IN ('member_no', 'wechat_openid', 'wecom_external_userid')) i`.execute(db),
    dailyFigures(db, workspaceId, days),
  ]);
  const t = totals.rows[0]!;
  const series = (pick: (d: DayFigures) => number, has: (d: DayFigures) => boolean = (d) => pick(d) > 0): DailyPoint[] =>
    daily.filter(has).map((d) => ({ day: d.day, value: pick(d) }));
  return {
    days,
    timezone,
    profiles: t.profiles,
    members: t.members,
    activeProfiles30d: t.active30,
    reachable: { wechat: t.reachable_wechat, wecom: t.reachable_wecom },
    newMembers: series((d) => d.newMembers),
    orders: series((d) => d.orders),
    gmv: series((d) => Math.round(d.gmv * 100) / 100, (d) => d.orders > 0),
    events: series((d) => d.events),
  };
}

/**
 * The event schema browser: every event seen, its volume, first/last time and the property names its latest 200
 * events (by event time) carry. The names come from a second query, one indexed read per event (events_name_time,
 * newest first): read inside the first, each event's subquery walked the workspace's events backwards by id until 200
 * of its own, 3.3 s at 1.1 M events (bench/scale-audit-seed.ts), and its estimate, counted per event, woke JIT.
 */
export async function eventSchema(db: Db, workspaceId: string) {
  const { rows } = await sql<{ type: string; event: string | null; n: number; first_seen: Date; last_seen: Date }>`
    SELECT type, event, count(*)::int AS n, min("timestamp") AS first_seen, max("timestamp") AS last_seen
    FROM events WHERE workspace_id = ${workspaceId}
    GROUP BY type, event ORDER BY n DESC LIMIT 500`.execute(db);
  if (!rows.length) return [];
  // Events without a name (identify, and page/screen without one) by the same index: ordering by event too lets the
  // planner read it backwards for `event IS NULL` instead of sorting every such event.
  const { rows: keys } = await sql<{ ord: string; properties: string[] | null }>`
    SELECT g.ord, (SELECT array_agg(DISTINCT k ORDER BY k) FROM (
        SELECT jsonb_object_keys(coalesce(r.properties, '{}'::jsonb)) AS k FROM (
          (SELECT e.properties FROM events e WHERE e.workspace_id = ${workspaceId} AND e.event = g.event AND e.type = g.type
           ORDER BY e."timestamp" DESC LIMIT 200)
          UNION ALL
          (SELECT e.properties FROM events e WHERE g.event IS NULL AND e.workspace_id = ${workspaceId} AND e.event IS NULL AND e.type = g.type
           ORDER BY e.event DESC, e."timestamp" DESC LIMIT 200)) r) names) AS properties
    FROM unnest(${rows.map((r) => r.type)}::text[], ${rows.map((r) => r.event)}::text[]) WITH ORDINALITY AS g(type, event, ord)`.execute(db);
  const propertiesAt = new Map(keys.map((k) => [Number(k.ord), k.properties ?? []]));
  return rows.map((r, i) => ({ type: r.type, event: r.event, count: r.n, firstSeenAt: r.first_seen, lastSeenAt: r.last_seen, properties: propertiesAt.get(i + 1) ?? [] }));
}
