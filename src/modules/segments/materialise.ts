import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { appendProfileEvents, type ProfileEventInput } from '../profiles/index.js';
import { compileRule, inBatchTransaction, parseRule, stageQuery, workspaceContext } from '../rules/index.js';

/**
 * Segment membership is materialised in segment_members. Entering and leaving are recorded as `Segment Entered` /
 * `Segment Exited` events on the profile (so journeys can start from them), in the same statement as the change.
 *
 * A full recompute inserts its events directly (insertSegmentEventsDirectly) rather than through the profiles module's
 * appendProfileEvents: it moves up to the whole workspace at once and must stay one set-based statement; those events
 * are attached to the profile's oldest identifier, and inserted in profile order so that the events' indexes keyed by
 * profile are written in order rather than at random (a first materialisation may record thousands at once).
 * Real-time changes use appendProfileEvents (applySegmentChanges).
 */
export const SEGMENT_ENTERED = 'Segment Entered';
export const SEGMENT_EXITED = 'Segment Exited';

function insertSegmentEventsDirectly(workspaceId: string, segmentId: string, segmentName: string, changes: string, now: Date): RawBuilder<unknown> {
  return sql`INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, "timestamp", received_at, properties)
    SELECT ${workspaceId}, 'segment:' || ${segmentId} || ':' || c.profile_id || ':' || c.event || ':' || ${String(now.getTime())},
      'track', c.event,
      COALESCE((SELECT min(i.id) FROM identifiers i WHERE i.workspace_id = ${workspaceId} AND i.profile_id = c.profile_id), 0),
      c.profile_id, ${now}, ${now}, jsonb_build_object('segment_id', ${segmentId}::text, 'segment_name', ${segmentName}::text)
    FROM ${sql.raw(changes)} c
    ORDER BY c.profile_id
    ON CONFLICT DO NOTHING`;
}

/**
 * Brings a segment's members to `desired` (a query of profile_id) with entered/exited events; returns counts.
 *
 * Two steps in one transaction: the difference between `desired` and the stored members is staged first by a
 * read-only statement (stageQuery: it may use parallel workers, and it is where the events and orders are read), then
 * only those rows are written. A member inserted or removed by the real-time evaluator in between is skipped (ON
 * CONFLICT / RETURNING), so no event is recorded twice.
 */
async function syncMembers(db: Kysely<DB>, workspaceId: string, segmentId: string, desired: RawBuilder<unknown>, now: Date) {
  const segment = await db.selectFrom('segments').select('name').where('workspace_id', '=', workspaceId).where('id', '=', segmentId).executeTakeFirstOrThrow();
  const result = await inBatchTransaction(db, async (trx) => {
    const diff = await stageQuery(trx, 'segment_diff', sql`
      SELECT COALESCE(d.profile_id, c.profile_id) AS profile_id, d.profile_id IS NOT NULL AS enters
      FROM (${desired}) d
      FULL JOIN (SELECT DISTINCT profile_id FROM segment_members WHERE workspace_id = ${workspaceId} AND segment_id = ${segmentId}) c
        ON c.profile_id = d.profile_id
      WHERE d.profile_id IS NULL OR c.profile_id IS NULL`);
    const { rows } = await sql<{ entered: number; exited: number }>`
      WITH removed AS (
        DELETE FROM segment_members sm USING ${sql.raw(diff)} x
        WHERE sm.workspace_id = ${workspaceId} AND sm.segment_id = ${segmentId} AND sm.profile_id = x.profile_id AND NOT x.enters
        RETURNING sm.profile_id
      ),
      added AS (
        INSERT INTO segment_members (workspace_id, segment_id, profile_id, origin_profile_id, entered_at)
        SELECT ${workspaceId}, ${segmentId}, x.profile_id, x.profile_id, ${now}::timestamptz FROM ${sql.raw(diff)} x WHERE x.enters
        ORDER BY x.profile_id
        ON CONFLICT DO NOTHING
        RETURNING profile_id
      ),
      changes AS (
        SELECT DISTINCT profile_id, ${SEGMENT_EXITED}::text AS event FROM removed
        UNION ALL SELECT profile_id, ${SEGMENT_ENTERED}::text FROM added
      ),
      recorded AS (${insertSegmentEventsDirectly(workspaceId, segmentId, segment.name, 'changes', now)})
      SELECT (SELECT count(*) FROM added)::int AS entered, (SELECT count(DISTINCT profile_id) FROM removed)::int AS exited`.execute(trx);
    await updateSize(trx, workspaceId, segmentId, now);
    return rows[0] ?? { entered: 0, exited: 0 };
  });
  return result;
}

export async function updateSize(db: Kysely<DB>, workspaceId: string, segmentId: string, now: Date): Promise<void> {
  await sql`UPDATE segments SET computed_at = ${now}, size = (SELECT count(DISTINCT profile_id) FROM segment_members
    WHERE workspace_id = ${workspaceId} AND segment_id = ${segmentId}) WHERE workspace_id = ${workspaceId} AND id = ${segmentId}`.execute(db);
}

/** Full set-based recompute of a rule segment (rule changed, daily pass for time windows, operator request). */
export async function recomputeRuleSegment(db: Kysely<DB>, workspaceId: string, segmentId: string, now: Date) {
  const segment = await db.selectFrom('segments').select(['kind', 'rule']).where('workspace_id', '=', workspaceId).where('id', '=', segmentId).executeTakeFirst();
  if (!segment || segment.kind !== 'rule' || !segment.rule) return { entered: 0, exited: 0 };
  const ctx = await workspaceContext(db, workspaceId, now);
  return syncMembers(db, workspaceId, segmentId, compileRule(parseRule(segment.rule).condition, workspaceId, ctx), now);
}

/** Sets a static segment's members to exactly these live profiles. */
export async function setStaticMembers(db: Kysely<DB>, workspaceId: string, segmentId: string, profileIds: number[], now: Date) {
  const desired = sql`SELECT p.id AS profile_id FROM profiles p WHERE p.workspace_id = ${workspaceId} AND p.merged_into IS NULL
    AND p.id = ANY(${profileIds}::bigint[])`;
  return syncMembers(db, workspaceId, segmentId, desired, now);
}

export interface SegmentChange {
  segmentId: string;
  profileId: number;
  holds: boolean;
}

/**
 * Applies real-time decisions (actual changes only), in the caller's transaction. Here the few Entered / Exited
 * events go through the profiles module's appendProfileEvents (anchored on the profile's highest-priority identifier,
 * idempotent by message id); it queues the profiles again, and the next pass finds nothing more to change.
 */
export async function applySegmentChanges(trx: Transaction<DB>, workspaceId: string, changes: SegmentChange[], now: Date): Promise<void> {
  const bySegment = new Map<string, SegmentChange[]>();
  for (const c of changes) bySegment.set(c.segmentId, [...(bySegment.get(c.segmentId) ?? []), c]);
  const events: ProfileEventInput[] = [];
  for (const [segmentId, list] of bySegment) {
    const segment = await trx.selectFrom('segments').select('name').where('workspace_id', '=', workspaceId).where('id', '=', segmentId).executeTakeFirstOrThrow();
    const exited = await trx
      .deleteFrom('segment_members')
      .where('workspace_id', '=', workspaceId)
      .where('segment_id', '=', segmentId)
      .where('profile_id', 'in', [0, ...list.filter((c) => !c.holds).map((c) => c.profileId)])
      .returning('profile_id')
      .execute();
    const entering = list.filter((c) => c.holds).map((c) => c.profileId);
    const entered = entering.length
      ? await trx
          .insertInto('segment_members')
          .values(entering.map((id) => ({ workspace_id: workspaceId, segment_id: segmentId, profile_id: id, origin_profile_id: id, entered_at: now })))
          .onConflict((oc) => oc.doNothing())
          .returning('profile_id')
          .execute()
      : [];
    const record = (profileId: number, event: string) =>
      events.push({
        profileId,
        event,
        timestamp: now,
        properties: { segment_id: segmentId, segment_name: segment.name },
        messageId: `segment:${segmentId}:${profileId}:${event}:${now.getTime()}`,
      });
    for (const id of new Set(exited.map((r) => r.profile_id))) record(id, SEGMENT_EXITED);
    for (const r of entered) record(r.profile_id, SEGMENT_ENTERED);
    const delta = entered.length - new Set(exited.map((r) => r.profile_id)).size;
    if (delta !== 0) await sql`UPDATE segments SET size = size + ${delta} WHERE workspace_id = ${workspaceId} AND id = ${segmentId}`.execute(trx);
  }
  await appendProfileEvents(trx, workspaceId, events);
}

export async function liveRuleSegments(db: Kysely<DB>, workspaceId: string) {
  const rows = await db.selectFrom('segments').select(['id', 'rule']).where('workspace_id', '=', workspaceId).where('kind', '=', 'rule').execute();
  return rows.map((r) => ({ id: r.id, rule: parseRule(r.rule) }));
}
