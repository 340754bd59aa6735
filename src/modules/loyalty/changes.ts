import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

/** Marks profiles whose points, tier or coupons changed, in the caller's transaction, so rules re-evaluate them. */
export async function touchProfiles(trx: Transaction<DB>, workspaceId: string, profileIds: number[]): Promise<void> {
  const unique = [...new Set(profileIds)];
  if (unique.length === 0) return;
  await trx
    .insertInto('profile_changes')
    .values(unique.map((profileId) => ({ workspace_id: workspaceId, profile_id: profileId })))
    .onConflict((oc) => oc.columns(['workspace_id', 'profile_id']).doUpdateSet({ changed_at: sql`now()` }))
    .execute();
}
