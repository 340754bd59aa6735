import type { Transaction } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import { credit, lockAccount, reverse, updateAccount } from '../../src/modules/loyalty/ledger.js';
import { touchProfiles } from '../../src/modules/loyalty/changes.js';
import type { SourceType } from '../../src/modules/loyalty/schema.js';
import type { DB } from '../../src/platform/db/schema.js';
import { pointsMultiplierOf } from '../../src/modules/loyalty/benefits.js';
import { eligibleAmount, pointsFor, type OrderSettlement } from '../../src/modules/loyalty/order-points.js';
import { expiryFor, getLoyaltySettings } from '../../src/modules/loyalty/settings.js';
import { workspaceZone } from '../../src/modules/loyalty/local-dates.js';
import { OrderForPoints, type OrderForPoints as Snapshot } from '../../src/modules/loyalty/schema.js';

/**
 * The reference the batch is checked against: one order per transaction through the one-at-a-time ledger functions
 * (ledger.ts credit/reverse, pending.ts addPending/reducePending), as settlement worked before it was set-based.
 */
export async function settleOneOrder(db: Db, workspaceId: string, input: Snapshot, now: Date): Promise<OrderSettlement> {
  const order = OrderForPoints.parse(input);
  const settings = await getLoyaltySettings(db, workspaceId);
  return db.transaction().execute(async (trx) => {
    await lockAccount(trx, workspaceId, order.profileId);
    let grant = await trx.selectFrom('points_order_grants').selectAll().where('workspace_id', '=', workspaceId).where('order_id', '=', order.orderId).forUpdate().executeTakeFirst();
    const result: OrderSettlement = { orderId: order.orderId, targetPoints: 0, granted: 0, reversed: 0, pending: false };
    const earning = settings.orderEarning;
    if (!grant) {
      if (order.status !== 'paid' && order.status !== 'partially_refunded') return result;
      const eligible = eligibleAmount(order, earning, false);
      const rate = earning.pointsPerYuan * (await pointsMultiplierOf(trx, workspaceId, order.profileId));
      const points = pointsFor(eligible, rate, earning.maxPointsPerOrder);
      grant = await trx
        .insertInto('points_order_grants')
        .values({ workspace_id: workspaceId, order_id: order.orderId, profile_id: order.profileId, origin_profile_id: order.profileId, rate, eligible_amount: eligible, granted_points: points })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (points > 0) {
        const paidAt = order.paidAt ?? now;
        const base = { profileId: order.profileId, points, reason: `order ${order.orderId}`, sourceType: 'order' as const, sourceId: order.orderId, idempotencyKey: `order:${order.orderId}` };
        if (earning.pendingDays > 0) {
          result.pending = true;
          await addPending(trx, workspaceId, { ...base, availableAt: new Date(paidAt.getTime() + earning.pendingDays * 86_400_000) });
        } else {
          await credit(trx, workspaceId, { ...base, kind: 'earn', expiresAt: expiryFor(settings, paidAt, await workspaceZone(trx, workspaceId)) });
        }
      }
      result.granted = points;
    }
    const original = pointsFor(grant.eligible_amount, grant.rate, earning.maxPointsPerOrder);
    const eligibleNow = eligibleAmount(order, earning, true);
    const target = grant.eligible_amount > 0 ? Math.min(grant.granted_points, Math.floor((original * eligibleNow) / grant.eligible_amount)) : 0;
    result.targetPoints = target;
    const cut = grant.granted_points - target;
    if (cut > 0) {
      const fromPending = await reducePending(trx, workspaceId, grant.profile_id, { type: 'order', id: order.orderId }, cut);
      if (cut - fromPending > 0) {
        await reverse(trx, workspaceId, {
          profileId: grant.profile_id, points: cut - fromPending, reason: `refund of order ${order.orderId}`, sourceType: 'order', sourceId: order.orderId,
          idempotencyKey: `order:${order.orderId}:to:${target}`,
        }, now);
      }
      await trx.updateTable('points_order_grants').set({ granted_points: target, updated_at: now }).where('workspace_id', '=', workspaceId).where('order_id', '=', order.orderId).execute();
      result.reversed = cut;
    }
    return result;
  });
}

type Trx = Transaction<DB>;

/** addPending / reducePending as they were in pending.ts (the batch plays them in memory now). */
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
