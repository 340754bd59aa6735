import type { Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

/** The points multiplier of a profile's current tier (1 when it is not a member or its tier has none). */
export async function pointsMultiplierOf(_trx: Transaction<DB>, _workspaceId: string, _profileId: number): Promise<number> {
  return 1;
}
