import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

/**
 * A deleted profile's messages go with it: the delivery rows hold its phone, email or openid (`recipient`) and what
 * the message was about (`context`), which a deletion (PIPL's right to erasure, an operator's delete) must not leave
 * behind. The unsubscribe list stays: it is the brand's record that an address asked not to be contacted, and
 * keeping it is what stops a later import of the same address from being messaged again.
 */
export async function deleteChannelRows(trx: Transaction<DB>, workspaceId: string, profileIds: number[]): Promise<void> {
  if (!profileIds.length) return;
  await sql`DELETE FROM channel_deliveries WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])`.execute(trx);
}
