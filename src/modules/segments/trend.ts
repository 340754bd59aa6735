import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { SEGMENT_ENTERED, SEGMENT_EXITED } from './materialise.js';
import { getSegment } from './service.js';

/**
 * Profiles that entered and left a segment per day over the last `days` days (in the workspace's time zone), read
 * from the `Segment Entered` / `Segment Exited` events its changes record. Days without changes are included as 0.
 */
export async function segmentTrend(db: Db, workspaceId: string, segmentId: string, days: number, now = new Date()) {
  await getSegment(db, workspaceId, segmentId);
  const ws = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirstOrThrow();
  const tz = ws.timezone;
  const { rows } = await sql<{ day: string; entered: number; exited: number }>`
    WITH days AS (
      SELECT to_char(d, 'YYYY-MM-DD') AS day
      FROM generate_series(date_trunc('day', ${now}::timestamptz AT TIME ZONE ${tz}) - make_interval(days => ${days - 1}),
        date_trunc('day', ${now}::timestamptz AT TIME ZONE ${tz}), interval '1 day') d
    ),
    changes AS (
      SELECT to_char(date_trunc('day', "timestamp" AT TIME ZONE ${tz}), 'YYYY-MM-DD') AS day,
        count(*) FILTER (WHERE event = ${SEGMENT_ENTERED})::int AS entered,
        count(*) FILTER (WHERE event = ${SEGMENT_EXITED})::int AS exited
      FROM events
      WHERE workspace_id = ${workspaceId} AND event IN (${SEGMENT_ENTERED}, ${SEGMENT_EXITED})
        AND "timestamp" >= (date_trunc('day', ${now}::timestamptz AT TIME ZONE ${tz}) - make_interval(days => ${days - 1})) AT TIME ZONE ${tz}
        AND properties->>'segment_id' = ${segmentId}
      GROUP BY 1
    )
    SELECT d.day, coalesce(c.entered, 0) AS entered, coalesce(c.exited, 0) AS exited FROM days d LEFT JOIN changes c USING (day) ORDER BY d.day`.execute(db);
  return { days, timezone: tz, data: rows.map((r) => ({ day: r.day, entered: Number(r.entered), exited: Number(r.exited) })) };
}
