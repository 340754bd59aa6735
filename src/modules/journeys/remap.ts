import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import type { ProfileRemap } from '../../platform/hooks.js';

/**
 * OneID re-shaped profiles: positions, paths and outbox rows follow the surviving profile. An unmerge leaves them
 * with the profile they were on (the entry goes on there), but a moved entry keeps the profile it was made for
 * (`origin_profile_id`, set on its first move), and the re-entry policy reads it: a restored profile that went
 * through a "never" journey does not enter it again. Path steps are reached through their entries (journey_steps has
 * no index by profile: it is the most written journey table), so they move before the entries do. Outbox rows are found
 * by profile (journey_outbox_profile).
 */
export async function remapJourneyRows(trx: Transaction<DB>, workspaceId: string, remaps: ProfileRemap[]): Promise<void> {
  const moves = remaps.filter((r) => r.from !== r.to);
  if (!moves.length) return;
  const doc = JSON.stringify(moves);
  // Each moved profile's entries by key (LATERAL … OFFSET 0, through journey_entries_profile) and their steps through
  // the primary key (an array from a subquery, estimated at 10 keys). Joined to jsonb_to_recordset (estimated at 100
  // rows), tables never analysed (PGlite; a fresh PostgreSQL schema) had the planner read every step and entry of the
  // workspace on each merge (test/journeys/remap-plans.test.ts).
  await sql`
    WITH moved AS MATERIALIZED (
      SELECT m."to", e.id FROM jsonb_to_recordset(${doc}::jsonb) AS m("from" bigint, "to" bigint)
      CROSS JOIN LATERAL (SELECT id FROM journey_entries WHERE workspace_id = ${workspaceId} AND profile_id = m."from" OFFSET 0) e
    )
    UPDATE journey_steps t SET profile_id = moved."to" FROM moved
    WHERE t.workspace_id = ${workspaceId} AND t.entry_id = ANY(ARRAY(SELECT id FROM moved)) AND t.entry_id = moved.id`.execute(trx);
  // The entries and outbox rows one moved profile at a time (the profile a constant: journey_entries_profile and
  // journey_outbox_profile, migration 0257, are the only indexes that fit). Without statistics the planner read the
  // workspace's rows of the table for every other form tried: UPDATE … FROM the remaps (the target is not probed per
  // row), profile_id = ANY(…) (entries: from another index, filtered), and for the outbox keys found by profile then
  // idempotency_key = ANY(ARRAY(…)) (a bitmap scan of the workspace's range of journey_outbox_profile, filtered: 3,090
  // rows read for 90 moved). One statement for all when a profile both receives and gives rows (not produced by OneID
  // today), so every row moves once, from where it was before the remap.
  const chained = moves.some((m) => moves.some((n) => n.from === m.to));
  for (const { from, to } of chained ? [] : moves) {
    await sql`UPDATE journey_entries SET profile_id = ${to}, origin_profile_id = coalesce(origin_profile_id, profile_id)
      WHERE workspace_id = ${workspaceId} AND profile_id = ${from}`.execute(trx);
    await sql`UPDATE journey_outbox SET profile_id = ${to} WHERE workspace_id = ${workspaceId} AND profile_id = ${from}`.execute(trx);
  }
  if (chained) {
    await sql`UPDATE journey_entries t SET profile_id = m."to", origin_profile_id = coalesce(t.origin_profile_id, t.profile_id)
      FROM jsonb_to_recordset(${doc}::jsonb) AS m("from" bigint, "to" bigint) WHERE t.workspace_id = ${workspaceId} AND t.profile_id = m."from"`.execute(trx);
    await sql`UPDATE journey_outbox t SET profile_id = m."to" FROM jsonb_to_recordset(${doc}::jsonb) AS m("from" bigint, "to" bigint)
      WHERE t.workspace_id = ${workspaceId} AND t.profile_id = m."from"`.execute(trx);
  }
}

export async function deleteJourneyRows(trx: Transaction<DB>, workspaceId: string, profileIds: number[]): Promise<void> {
  // The outbox one profile at a time, as the remap above (journey_outbox_profile); a deletion has a few profile ids.
  for (const id of profileIds) await sql`DELETE FROM journey_outbox WHERE workspace_id = ${workspaceId} AND profile_id = ${id}`.execute(trx);
  await sql`DELETE FROM journey_steps t USING journey_entries e
    WHERE e.workspace_id = ${workspaceId} AND e.profile_id = ANY(${profileIds}::bigint[]) AND t.workspace_id = ${workspaceId} AND t.entry_id = e.id`.execute(trx);
  await sql`DELETE FROM journey_entries WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])`.execute(trx);
}
