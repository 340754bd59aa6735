import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { advisoryKey } from '../../platform/db/advisory.js';

/**
 * Ingest transactions hold the workspace's identity lock in shared mode; a recompute (merge, split) holds it
 * exclusively, so it never re-points profiles under a batch that is still writing with the old mapping.
 * On PGlite (one connection) these are uncontended.
 */
export async function lockIdentityShared(trx: Transaction<DB>, workspaceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock_shared(${advisoryKey(`identity:${workspaceId}`)})`.execute(trx);
}

export async function lockIdentityExclusive(trx: Transaction<DB>, workspaceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${advisoryKey(`identity:${workspaceId}`)})`.execute(trx);
}

/**
 * The shared lock for an ingest transaction, taken with JIT turned off for the rest of the transaction in the same
 * statement (no extra round trip): its statements are index probes and inserts over a batch, whose estimated costs can
 * pass jit_above_cost on a large batch, and compiling them cost more CPU than it saved (as in rules/batch.ts).
 */
export async function lockIdentitySharedForBatch(trx: Transaction<DB>, workspaceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock_shared(${advisoryKey(`identity:${workspaceId}`)}), set_config('jit', 'off', true)`.execute(trx);
}
