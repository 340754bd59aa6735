import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { runProfileDeleteHandlers } from '../../platform/hooks.js';
import { currentProfileOf, lockIdentityExclusive } from '../identity/index.js';

/**
 * Deletes a profile with everything recorded about it: events, orders, identifiers and their links, the profiles it
 * absorbed, and other modules' rows (delete hooks). If one of its identifiers shows up again, it starts a new profile.
 */
export async function deleteProfile(db: Db, workspaceId: string, requestedId: number) {
  const profileId = await currentProfileOf(db, workspaceId, requestedId);
  return db.transaction().execute(async (trx) => {
    await lockIdentityExclusive(trx, workspaceId);
    const absorbed = (await trx.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('merged_into', '=', profileId).execute()).map((r) => r.id);
    const profileIds = [profileId, ...absorbed];
    const ids = (await trx.selectFrom('identifiers').select('id').where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).execute()).map((r) => r.id);
    await runProfileDeleteHandlers(trx, workspaceId, profileIds);
    const events = await sql`DELETE FROM events WHERE workspace_id = ${workspaceId} AND (profile_id = ANY(${profileIds}::bigint[]) OR identifier_id = ANY(${ids}::bigint[]))`.execute(trx);
    const orders = await sql`DELETE FROM orders WHERE workspace_id = ${workspaceId} AND (profile_id = ANY(${profileIds}::bigint[]) OR identifier_id = ANY(${ids}::bigint[]))`.execute(trx);
    await sql`DELETE FROM identity_links WHERE workspace_id = ${workspaceId} AND (a = ANY(${ids}::bigint[]) OR b = ANY(${ids}::bigint[]))`.execute(trx);
    await sql`DELETE FROM identity_conflicts WHERE workspace_id = ${workspaceId} AND (a = ANY(${ids}::bigint[]) OR b = ANY(${ids}::bigint[]))`.execute(trx);
    await sql`DELETE FROM identity_pending WHERE workspace_id = ${workspaceId} AND identifier_id = ANY(${ids}::bigint[])`.execute(trx);
    await sql`DELETE FROM identity_separations WHERE workspace_id = ${workspaceId} AND (left_ids && ${ids}::bigint[] OR right_ids && ${ids}::bigint[])`.execute(trx);
    await sql`DELETE FROM identifiers WHERE workspace_id = ${workspaceId} AND id = ANY(${ids}::bigint[])`.execute(trx);
    await sql`DELETE FROM profile_merges WHERE workspace_id = ${workspaceId} AND (profile_id = ANY(${profileIds}::bigint[]) OR other_profile_id = ANY(${profileIds}::bigint[]))`.execute(trx);
    await sql`DELETE FROM profile_changes WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])`.execute(trx);
    await sql`DELETE FROM profile_change_claims WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])`.execute(trx);
    await sql`DELETE FROM profiles WHERE workspace_id = ${workspaceId} AND id = ANY(${profileIds}::bigint[])`.execute(trx);
    return {
      deleted: true,
      profileId,
      absorbedIds: absorbed,
      identifiers: ids.length,
      events: Number(events.numAffectedRows ?? 0),
      orders: Number(orders.numAffectedRows ?? 0),
    };
  });
}
