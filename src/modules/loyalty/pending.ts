import type { Db } from '../../platform/db/database.js';
import { credit, lockAccount, updateAccount } from './ledger.js';
import { expiryFor, getLoyaltySettings } from './settings.js';
import { workspaceZone } from './local-dates.js';
import type { SourceType } from './schema.js';

/**
 * Pending points wait out a refund window outside the ledger (they cannot be spent): order settlement writes them
 * (order-batch.ts; a refund inside the window shrinks them), then this job releases them as an earn entry (exactly
 * once).
 */
export async function releaseDuePending(db: Db, workspaceId: string, now = new Date()): Promise<{ released: number; points: number }> {
  const settings = await getLoyaltySettings(db, workspaceId);
  const zone = await workspaceZone(db, workspaceId);
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
          expiresAt: expiryFor(settings, now, zone),
        });
        await trx.updateTable('points_pending').set({ released_entry_id: result.entryId }).where('workspace_id', '=', workspaceId).where('id', '=', row.id).execute();
        return row.points;
      });
      released += 1;
    }
  }
}
