import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';

export interface DailyPoint {
  day: string;
  value: number;
}

/**
 * The numbers on the console's overview: audience size and activity, new members, orders and GMV per day
 * (refunds subtracted), over the last `days` days in the workspace's time zone.
 */
export async function overviewStats(db: Db, workspaceId: string, days: number) {
  const ws = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const tz = ws.timezone;
  const [totals, newMembers, orders, events] = await Promise.all([
    sql<{ profiles: number; members: number; active30: number; reachable_wechat: number; reachable_wecom: number }>`
      SELECT
        (SELECT count(*)::int FROM profiles WHERE workspace_id = ${workspaceId} AND merged_into IS NULL) AS profiles,
        (SELECT count(DISTINCT profile_id)::int FROM identifiers WHERE workspace_id = ${workspaceId} AND type = 'member_no') AS members,
        (SELECT count(*)::int FROM profiles WHERE workspace_id = ${workspaceId} AND merged_into IS NULL AND last_seen_at > now() - interval '30 days') AS active30,
        (SELECT count(DISTINCT profile_id)::int FROM identifiers WHERE workspace_id = ${workspaceId} AND type = 'wechat_openid') AS reachable_wechat,
        (SELECT count(DISTINCT profile_id)::int FROM identifiers WHERE workspace_id = ${workspaceId} AND type = 'wecom_external_userid') AS reachable_wecom`.execute(db),
    sql<{ day: string; n: number }>`
      SELECT to_char(date_trunc('day', first_seen_at AT TIME ZONE ${tz}), 'YYYY-MM-DD') AS day, count(DISTINCT profile_id)::int AS n
      FROM identifiers WHERE workspace_id = ${workspaceId} AND type = 'member_no' AND first_seen_at > now() - make_interval(days => ${days})
      GROUP BY 1 ORDER BY 1`.execute(db),
    sql<{ day: string; orders: number; gmv: number }>`
      SELECT to_char(date_trunc('day', ordered_at AT TIME ZONE ${tz}), 'YYYY-MM-DD') AS day, count(*)::int AS orders,
        coalesce(sum(paid_amount - refunded_amount), 0)::float8 AS gmv
      FROM orders WHERE workspace_id = ${workspaceId} AND status <> 'cancelled' AND status <> 'pending' AND ordered_at > now() - make_interval(days => ${days})
      GROUP BY 1 ORDER BY 1`.execute(db),
    sql<{ day: string; n: number }>`
      SELECT to_char(date_trunc('day', "timestamp" AT TIME ZONE ${tz}), 'YYYY-MM-DD') AS day, count(*)::int AS n
      FROM events WHERE workspace_id = ${workspaceId} AND "timestamp" > now() - make_interval(days => ${days})
      GROUP BY 1 ORDER BY 1`.execute(db),
  ]);
  const t = totals.rows[0]!;
  return {
    days,
    timezone: tz,
    profiles: t.profiles,
    members: t.members,
    activeProfiles30d: t.active30,
    reachable: { wechat: t.reachable_wechat, wecom: t.reachable_wecom },
    newMembers: newMembers.rows.map((r) => ({ day: r.day, value: r.n })),
    orders: orders.rows.map((r) => ({ day: r.day, value: r.orders })),
    gmv: orders.rows.map((r) => ({ day: r.day, value: Math.round(r.gmv * 100) / 100 })),
    events: events.rows.map((r) => ({ day: r.day, value: r.n })),
  };
}

/** The event schema browser: every event seen, its volume, first/last time and the property names it carries. */
export async function eventSchema(db: Db, workspaceId: string) {
  const { rows } = await sql<{ type: string; event: string | null; n: number; first_seen: Date; last_seen: Date; properties: string[] | null }>`
    SELECT type, event, count(*)::int AS n, min("timestamp") AS first_seen, max("timestamp") AS last_seen,
      (SELECT array_agg(DISTINCT k ORDER BY k) FROM (
         SELECT jsonb_object_keys(coalesce(e2.properties, '{}'::jsonb)) AS k FROM events e2
         WHERE e2.workspace_id = ${workspaceId} AND e2.type = e.type AND e2.event IS NOT DISTINCT FROM e.event
         ORDER BY e2.id DESC LIMIT 200) keys) AS properties
    FROM events e WHERE workspace_id = ${workspaceId}
    GROUP BY type, event ORDER BY n DESC LIMIT 500`.execute(db);
  return rows.map((r) => ({ type: r.type, event: r.event, count: r.n, firstSeenAt: r.first_seen, lastSeenAt: r.last_seen, properties: r.properties ?? [] }));
}
