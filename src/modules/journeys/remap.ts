import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import type { ProfileRemap } from '../../platform/hooks.js';

/**
 * OneID re-shaped profiles: positions, paths and outbox rows follow the surviving profile. An unmerge leaves them
 * with the profile they were on (the entry goes on there), but a moved entry keeps the profile it was made for
 * (`origin_profile_id`, set on its first move), and the re-entry policy reads it: a restored profile that went
 * through a "never" journey does not enter it again. Path steps are reached through their entries (journey_steps has
 * no index by profile: it is the most written journey table), so they move before the entries do.
 */
export async function remapJourneyRows(trx: Transaction<DB>, workspaceId: string, remaps: ProfileRemap[]): Promise<void> {
  const moves = remaps.filter((r) => r.from !== r.to);
  if (!moves.length) return;
  const doc = JSON.stringify(moves);
  await sql`UPDATE journey_steps t SET profile_id = m."to" FROM jsonb_to_recordset(${doc}::jsonb) AS m("from" bigint, "to" bigint), journey_entries e
    WHERE e.workspace_id = ${workspaceId} AND e.profile_id = m."from" AND t.workspace_id = ${workspaceId} AND t.entry_id = e.id`.execute(trx);
  for (const table of ['journey_entries', 'journey_outbox']) {
    const origin = table === 'journey_entries' ? sql`, origin_profile_id = coalesce(t.origin_profile_id, t.profile_id)` : sql``;
    await sql`UPDATE ${sql.table(table)} t SET profile_id = m."to" ${origin} FROM jsonb_to_recordset(${doc}::jsonb) AS m("from" bigint, "to" bigint)
      WHERE t.workspace_id = ${workspaceId} AND t.profile_id = m."from"`.execute(trx);
  }
}

export async function deleteJourneyRows(trx: Transaction<DB>, workspaceId: string, profileIds: number[]): Promise<void> {
  await sql`DELETE FROM journey_outbox WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])`.execute(trx);
  await sql`DELETE FROM journey_steps t USING journey_entries e
    WHERE e.workspace_id = ${workspaceId} AND e.profile_id = ANY(${profileIds}::bigint[]) AND t.workspace_id = ${workspaceId} AND t.entry_id = e.id`.execute(trx);
  await sql`DELETE FROM journey_entries WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])`.execute(trx);
}
