import type { Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { credit, lockAccount, updateAccount } from './ledger.js';
import { touchProfiles } from './changes.js';
import { expiryFor, getLoyaltySettings } from './settings.js';
import type { SourceType } from './schema.js';

type Trx = Transaction<DB>;

/**
 * Pending points wait out a refund window outside the ledger (they cannot be spent), then a job releases them as
 * an earn entry. A refund inside the window simply shrinks or cancels them.
 */
export async function addPending(
  trx: Trx,
  workspaceId: string,
  p: { profileId: number; points: number; reason: string; sourceType: SourceType; sourceId: string; idempotencyKey: string; availableAt: Date },
): Promise<boolean> {
  await lockAccount(trx, workspaceId, p.profileId);
  const inserted = await trx
    .insertInto('points_pending')
    .values({
      workspace_id: workspaceId,
      profile_id: p.profileId,
      origin_profile_id: p.profileId,
      points: p.points,
      reason: p.reason,
      source_type: p.sourceType,
      source_id: p.sourceId,
      idempotency_key: p.idempotencyKey,
      available_at: p.availableAt,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return false;
  await updateAccount(trx, workspaceId, p.profileId, { pending: p.points });
  await touchProfiles(trx, workspaceId, [p.profileId]);
  return true;
}

/** Shrinks a source's still-pending points by up to `points`; returns how many it removed. Caller holds the lock. */
export async function reducePending(trx: Trx, workspaceId: string, profileId: number, source: { type: string; id: string }, points: number): Promise<number> {
  const rows = await trx
    .selectFrom('points_pending')
    .select(['id', 'points'])
    .where('workspace_id', '=', workspaceId)
    .where('source_type', '=', source.type)
    .where('source_id', '=', source.id)
    .where('profile_id', '=', profileId)
    .where('status', '=', 'pending')
    .orderBy('id', 'desc')
    .forUpdate()
    .execute();
  let left = points;
  for (const row of rows) {
    if (left <= 0) break;
    const cut = Math.min(row.points, left);
    await trx
      .updateTable('points_pending')
      .set({ points: row.points - cut, status: row.points - cut === 0 ? 'cancelled' : 'pending' })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', row.id)
      .execute();
    left -= cut;
  }
  const removed = points - left;
  if (removed > 0) await updateAccount(trx, workspaceId, profileId, { pending: -removed });
  return removed;
}

/** The release job: every pending credit whose window has passed becomes an earn entry (exactly once). */
export async function releaseDuePending(db: Db, workspaceId: string, now = new Date()): Promise<{ released: number; points: number }> {
  const settings = await getLoyaltySettings(db, workspaceId);
  let released = 0;
  let points = 0;
  for (;;) {
    const due = await db
      .selectFrom('points_pending')
      .select(['id', 'profile_id'])
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'pending')
      .where('available_at', '<=', now)
      .orderBy('id')
      .limit(500)
      .execute();
    if (due.length === 0) return { released, points };
    for (const candidate of due) {
      points += await db.transaction().execute(async (trx) => {
        await lockAccount(trx, workspaceId, candidate.profile_id);
        const row = await trx
          .selectFrom('points_pending')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', candidate.id)
          .where('status', '=', 'pending')
          .forUpdate()
          .executeTakeFirst();
        if (!row) return 0;
        await trx.updateTable('points_pending').set({ status: 'released' }).where('workspace_id', '=', workspaceId).where('id', '=', row.id).execute();
        if (row.profile_id !== candidate.profile_id) await lockAccount(trx, workspaceId, row.profile_id);
        await updateAccount(trx, workspaceId, row.profile_id, { pending: -row.points });
        if (row.points === 0) return 0;
        const result = await credit(trx, workspaceId, {
          profileId: row.profile_id,
          points: row.points,
          kind: 'earn',
          reason: row.reason,
          sourceType: row.source_type as SourceType,
          sourceId: row.source_id,
          idempotencyKey: `pending:${row.id}`,
          expiresAt: expiryFor(settings, now),
        });
        await trx.updateTable('points_pending').set({ released_entry_id: result.entryId }).where('workspace_id', '=', workspaceId).where('id', '=', row.id).execute();
        return row.points;
      });
      released += 1;
    }
  }
}
