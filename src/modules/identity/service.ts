import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { lockIdentityExclusive, lockIdentitySharedForBatch } from './locks.js';
import { recomputeComponents, type RecomputeOutcome } from './recompute.js';
import { resolveBatch, type ResolveItem, type ResolveResult } from './resolve.js';
import { loadIdentifierRules } from './settings.js';

type Trx = Transaction<DB>;

/**
 * The one way records enter a workspace: resolve the batch's identities and write the records in one transaction
 * (a commit means durably stored), then settle any merges or splits in a second, short transaction. Identifiers
 * waiting for that second step are listed in `identity_pending` by the first, so a crash in between loses nothing:
 * `settlePendingIdentities` (run at start-up and after every batch) finishes the work.
 */
export async function writeWithIdentities<T>(
  db: Db,
  workspaceId: string,
  items: ResolveItem[] | ((trx: Trx) => Promise<ResolveItem[]>),
  write: (trx: Trx, resolved: ResolveResult) => Promise<T>,
): Promise<T> {
  const rules = await loadIdentifierRules(db, workspaceId);
  let pending: number[] = [];
  const result = await db.transaction().execute(async (trx) => {
    await lockIdentitySharedForBatch(trx, workspaceId);
    // A function claims its records inside the transaction, after the lock (the ingest intake's applier).
    const records = typeof items === 'function' ? await items(trx) : items;
    const resolved = await resolveBatch(trx, workspaceId, records, rules);
    pending = resolved.pending;
    return write(trx, resolved);
  });
  if (pending.length) await settlePendingIdentities(db, workspaceId, pending);
  return result;
}

/** Recomputes the components of pending identifiers (all of the workspace's, or just `seeds`). */
export async function settlePendingIdentities(db: Db, workspaceId: string, seeds?: number[]): Promise<RecomputeOutcome> {
  const rules = await loadIdentifierRules(db, workspaceId);
  return db.transaction().execute(async (trx) => {
    await lockIdentityExclusive(trx, workspaceId);
    let q = trx.selectFrom('identity_pending').select('identifier_id').where('workspace_id', '=', workspaceId);
    if (seeds) q = q.where('identifier_id', 'in', seeds.length ? seeds : [-1]);
    const still = (await q.execute()).map((r) => r.identifier_id);
    return recomputeComponents(trx, workspaceId, still, rules);
  });
}

/** Start-up sweep: finishes identity work any interrupted process left behind, in every workspace. */
export async function settleAllPendingIdentities(db: Db): Promise<number> {
  const rows = await db.selectFrom('identity_pending').select('workspace_id').distinct().execute();
  for (const r of rows) await settlePendingIdentities(db, r.workspace_id);
  return rows.length;
}

/**
 * Undoes a merge: records that the absorbed profile's identifiers (as they were at the merge) stay apart from the
 * rest, then recomputes. Both profiles come back with their own ids; events and orders follow their identifiers.
 */
export async function unmergeProfiles(db: Db, workspaceId: string, mergeId: number, actor: string | null): Promise<RecomputeOutcome> {
  const rules = await loadIdentifierRules(db, workspaceId);
  return db.transaction().execute(async (trx) => {
    await lockIdentityExclusive(trx, workspaceId);
    const merge = await trx
      .selectFrom('profile_merges')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', mergeId)
      .executeTakeFirst();
    if (!merge || merge.kind !== 'merge') throw notFound(`merge ${mergeId}`);
    if (merge.undone_at) throw new AppError('conflict', `merge ${mergeId} was already undone`);
    const left = merge.identifier_ids.map(Number);
    const survivor = await currentProfileOf(trx, workspaceId, merge.profile_id);
    const { rows } = await sql<{ id: number }>`
      SELECT id FROM identifiers WHERE workspace_id = ${workspaceId} AND profile_id = ${survivor} AND NOT (id = ANY(${left}::bigint[]))`.execute(trx);
    const right = rows.map((r) => r.id);
    if (!right.length || !left.length) throw new AppError('conflict', `merge ${mergeId} cannot be undone: one side has no identifiers left`);
    await trx
      .insertInto('identity_separations')
      .values({ workspace_id: workspaceId, left_ids: left, right_ids: right, reason: `unmerge of merge ${mergeId}`, created_by: actor })
      .execute();
    await trx.updateTable('profile_merges').set({ undone_at: new Date() }).where('workspace_id', '=', workspaceId).where('id', '=', mergeId).execute();
    return recomputeComponents(trx, workspaceId, [...left, ...right], rules, { reason: `operator undid merge ${mergeId}`, actor });
  });
}

/** Follows redirects: the live profile an id (possibly absorbed by merges) now stands for. */
export async function currentProfileOf(db: Db | Trx, workspaceId: string, profileId: number): Promise<number> {
  let id = profileId;
  for (let hops = 0; hops < 32; hops++) {
    const row = await db.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`profile ${profileId}`);
    if (row.merged_into === null) return row.id;
    id = row.merged_into;
  }
  throw new AppError('internal', `redirect loop at profile ${profileId}`);
}
