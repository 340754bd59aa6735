import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

/**
 * Ingest transactions hold the workspace's identity lock in shared mode; a recompute (merge, split) holds it
 * exclusively, so it never re-points profiles under a batch that is still writing with the old mapping.
 * On PGlite (one connection) these are uncontended.
 */
export async function lockIdentityShared(trx: Transaction<DB>, workspaceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock_shared(hashtext(${`identity:${workspaceId}`}))`.execute(trx);
}

export async function lockIdentityExclusive(trx: Transaction<DB>, workspaceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`identity:${workspaceId}`}))`.execute(trx);
}
