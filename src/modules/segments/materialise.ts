import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { appendProfileEvents, type ProfileEventInput } from '../profiles/index.js';
import { compileRule, inBatchTransaction, parseRule, stageQuery, workspaceContext, type Rule } from '../rules/index.js';

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
 * Applies real-time decisions (actual changes only), in the caller's transaction: one statement moves the members
 * of every segment and adjusts the sizes; the few Entered / Exited events then go through the profiles module's
 * appendProfileEvents (anchored on the profile's highest-priority identifier, idempotent by message id); it queues
 * the profiles again, and the next pass finds nothing more to change. Events follow what was written: a member
 * another pass moved meanwhile records nothing twice.
 */
export async function applySegmentChanges(trx: Transaction<DB>, workspaceId: string, changes: SegmentChange[], now: Date): Promise<void> {
  if (changes.length === 0) return;
  const { rows } = await sql<{ segment_id: string; profile_id: number; event: string; name: string }>`
    WITH c AS (
      SELECT * FROM unnest(${changes.map((c) => c.segmentId)}::text[], ${changes.map((c) => c.profileId)}::bigint[], ${changes.map((c) => c.holds)}::boolean[])
        AS c(segment_id, profile_id, holds)
    ),
    exited AS (
      DELETE FROM segment_members sm USING c
      WHERE sm.workspace_id = ${workspaceId} AND sm.segment_id = c.segment_id AND sm.profile_id = c.profile_id AND NOT c.holds
      RETURNING sm.segment_id, sm.profile_id
    ),
    entered AS (
      INSERT INTO segment_members (workspace_id, segment_id, profile_id, origin_profile_id, entered_at)
      SELECT ${workspaceId}, segment_id, profile_id, profile_id, ${now}::timestamptz FROM c WHERE holds
      ON CONFLICT DO NOTHING
      RETURNING segment_id, profile_id
    ),
    moved AS (
      SELECT DISTINCT segment_id, profile_id, ${SEGMENT_EXITED}::text AS event FROM exited
      UNION ALL SELECT segment_id, profile_id, ${SEGMENT_ENTERED}::text FROM entered
    ),
    sized AS (
      UPDATE segments s SET size = s.size + d.delta
      FROM (SELECT segment_id, sum(CASE WHEN event = ${SEGMENT_ENTERED} THEN 1 ELSE -1 END)::int AS delta FROM moved GROUP BY segment_id) d
      WHERE s.workspace_id = ${workspaceId} AND s.id = d.segment_id AND d.delta <> 0
    )
    SELECT m.segment_id, m.profile_id, m.event, s.name FROM moved m JOIN segments s ON s.workspace_id = ${workspaceId} AND s.id = m.segment_id`.execute(trx);
  const events: ProfileEventInput[] = rows.map((r) => ({
    profileId: Number(r.profile_id),
    event: r.event,
    timestamp: now,
    properties: { segment_id: r.segment_id, segment_name: r.name },
    messageId: `segment:${r.segment_id}:${r.profile_id}:${r.event}:${now.getTime()}`,
  }));
  await appendProfileEvents(trx, workspaceId, events);
}

/** The rule segments of a workspace, with their parsed rules (`parse` gets each rule's JSON text, as liveRuleTags). */
export async function liveRuleSegments(db: Kysely<DB>, workspaceId: string, parse: (ruleText: string) => Rule = (text) => parseRule(JSON.parse(text))) {
  const rows = await db.selectFrom('segments').select(['id', sql<string>`rule::text`.as('rule')]).where('workspace_id', '=', workspaceId).where('kind', '=', 'rule').execute();
  return rows.map((r) => ({ id: r.id, rule: parse(r.rule) }));
}
