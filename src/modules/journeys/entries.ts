import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { JourneyDefinition } from './schema.js';
import { loadDefinition } from './service.js';

export interface LiveJourney {
  id: string;
  version: number;
  definition: JourneyDefinition;
}

/**
 * Enters people on a journey from a query yielding (profile_id bigint, trigger jsonb), honouring the re-entry policy
 * (never / after the previous entry finished / any time; an entry counts for its profile and for the one it was made
 * for, see remap.ts) and skipping absorbed profiles. One statement: the entry
 * rows (at the start node, due now). The path's `entered` step is the entry row itself (entered_at, trigger; see
 * profileJourneyPaths): a step row per entrant was one more row and two index entries per person, the same facts
 * twice. Returns how many entered.
 */
export async function enterFromQuery(db: Db, workspaceId: string, journey: LiveJourney, source: RawBuilder<unknown>, now: Date): Promise<number> {
  const reentry = journey.definition.policies.reentry;
  // An entry holds back the profile it is on now and, once a merge moved it, the profile it was made for (restored
  // by an unmerge, that person has been through the journey all the same).
  const held = (column: 'profile_id' | 'origin_profile_id') =>
    sql`EXISTS (SELECT 1 FROM journey_entries e WHERE e.workspace_id = ${workspaceId} AND e.journey_id = ${journey.id}
          AND ${sql.ref(`e.${column}`)} = s.profile_id ${reentry === 'after_finish' ? sql`AND e.status = 'active'` : sql``})`;
  const blocked = reentry === 'any_time' ? sql`false` : sql`(${held('profile_id')} OR ${held('origin_profile_id')})`;
  const { rows } = await sql<{ n: number }>`
    WITH src AS (SELECT DISTINCT ON (profile_id) profile_id, trigger FROM (${source}) x ORDER BY profile_id),
    eligible AS (
      SELECT s.profile_id, s.trigger FROM src s
      JOIN profiles p ON p.workspace_id = ${workspaceId} AND p.id = s.profile_id AND p.merged_into IS NULL
      WHERE NOT ${blocked}
    ),
    entered AS (
      INSERT INTO journey_entries (workspace_id, journey_id, version, profile_id, node_id, status, due_at, node_since, trigger, entered_at)
      SELECT ${workspaceId}, ${journey.id}, ${journey.version}, profile_id, ${journey.definition.start}, 'active', ${now}, ${now}, trigger, ${now}
      FROM eligible
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM entered`.execute(db);
  const n = rows[0]?.n ?? 0;
  if (n >= BULK_ENTRY) await refreshEntryStatistics(db);
  return n;
}

/** An entry statement that entered at least this many people may have left journey_entries' statistics stale. */
const BULK_ENTRY = 500;

/**
 * Bulk entry (a segment of a million entering through its Segment Entered events, 2,000 per statement) outruns
 * autovacuum: with journey_entries' statistics from before, the re-entry check above is planned as a nested loop that
 * reads the journey's whole entry list for every entrant (measured: 2,000 entrants against 16,000 entries, 9.8 s;
 * quadratic in the journey's size). So once the rows changed since the last ANALYZE exceed the rows it counted (at
 * least 1,000), the entry refreshes them itself (a sample of 30,000 rows: 0.1-0.2 s), as autovacuum would later.
 * At a fifth of the table, a fan-out of 100,000 analysed 10 times (17 us of backend CPU per person, more than the
 * entry statement itself); each person is an insert and a move, so this is about every 1.5x growth of the table.
 */
async function refreshEntryStatistics(db: Db): Promise<void> {
  const { rows } = await sql<{ stale: boolean }>`
    SELECT s.n_mod_since_analyze > greatest(1000, c.reltuples) AS stale
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relid = 'journey_entries'::regclass`.execute(db);
  if (rows[0]?.stale) await sql`ANALYZE journey_entries`.execute(db);
}

/** Enters a list of profiles, each with the trigger that brought them (event properties…). */
export async function enterProfiles(db: Db, workspaceId: string, journey: LiveJourney, items: Array<{ profileId: number; trigger: Record<string, unknown> }>, now: Date): Promise<number> {
  if (items.length === 0) return 0;
  const doc = JSON.stringify(items.map((i) => ({ p: i.profileId, t: i.trigger })));
  const source = sql`SELECT (x->>'p')::bigint AS profile_id, x->'t' AS trigger FROM jsonb_array_elements(${doc}::jsonb) x`;
  return enterFromQuery(db, workspaceId, journey, source, now);
}

/** The published journeys of a workspace (or of every workspace), with their live definitions. */
export async function liveJourneys(db: Db, workspaceId?: string): Promise<Array<LiveJourney & { workspaceId: string; publishedAt: Date }>> {
  let q = db
    .selectFrom('journeys as j')
    .innerJoin('journey_versions as v', (join) => join.onRef('v.workspace_id', '=', 'j.workspace_id').onRef('v.journey_id', '=', 'j.id').onRef('v.version', '=', 'j.published_version'))
    .select(['j.workspace_id', 'j.id', 'j.published_version', 'v.published_at'])
    .where('j.status', '=', 'published');
  if (workspaceId) q = q.where('j.workspace_id', '=', workspaceId);
  const rows = await q.execute();
  const out = [];
  for (const r of rows) {
    if (r.published_version === null) continue;
    const definition = await loadDefinition(db, r.workspace_id, r.id, r.published_version);
    out.push({ workspaceId: r.workspace_id, id: r.id, version: r.published_version, definition, publishedAt: r.published_at ?? new Date(0) });
  }
  return out;
}

/** Manual/API entry: enters the given profiles now (or at `at`) on the published version (the journey must be live). */
export async function enterManually(db: Db, workspaceId: string, journeyId: string, profileIds: number[], actor: string, at = new Date()): Promise<{ entered: number }> {
  const journey = (await liveJourneys(db, workspaceId)).find((j) => j.id === journeyId);
  if (!journey) {
    const exists = await db.selectFrom('journeys').select('status').where('workspace_id', '=', workspaceId).where('id', '=', journeyId).executeTakeFirst();
    if (!exists) throw notFound(`journey ${journeyId}`);
    throw new AppError('conflict', `journey ${journeyId} is ${exists.status}: only a published journey takes entrants`);
  }
  const entered = await enterProfiles(db, workspaceId, journey, profileIds.map((profileId) => ({ profileId, trigger: { type: 'manual', actor } })), at);
  return { entered };
}
