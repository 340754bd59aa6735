import type { Db } from '../../platform/db/database.js';
import { credit, lockAccount, reverse } from './ledger.js';
import { addPending, reducePending } from './pending.js';
import { pointsMultiplierOf } from './benefits.js';
import { applyTierChange } from './members.js';
import { expiryFor, getLoyaltySettings } from './settings.js';
import { OrderForPoints, type LoyaltySettings } from './schema.js';

/**
 * The seam between orders and points. Points of an order are a function of the order's state: on first sight of a
 * paid order the rate (points per eligible yuan, with the tier multiplier) is fixed in `points_order_grants`; each
 * later state (partial or full refund) sets a lower target and the difference is reversed. Settling is therefore
 * idempotent and order-independent: the orders module (or an explicit "paid"/"refunded" call, or a sweep over
 * order rows) may call it any number of times with any snapshot and the points converge.
 */
export type OrderSnapshot = OrderForPoints;

export interface OrderSettlement {
  orderId: string;
  targetPoints: number;
  granted: number;
  reversed: number;
  pending: boolean;
}

export async function settleOrderPoints(db: Db, workspaceId: string, input: OrderSnapshot, now = new Date()): Promise<OrderSettlement> {
  const order = OrderForPoints.parse(input);
  const settings = await getLoyaltySettings(db, workspaceId);
  const settlement = await db.transaction().execute(async (trx) => {
    await lockAccount(trx, workspaceId, order.profileId);
    let grant = await trx
      .selectFrom('points_order_grants')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('order_id', '=', order.orderId)
      .forUpdate()
      .executeTakeFirst();
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
        const base = { profileId: order.profileId, points, reason: `order ${order.orderId}`, sourceType: 'order' as const, sourceId: order.orderId };
        if (earning.pendingDays > 0) {
          result.pending = true;
          await addPending(trx, workspaceId, { ...base, idempotencyKey: `order:${order.orderId}`, availableAt: new Date(paidAt.getTime() + earning.pendingDays * 86_400_000) });
        } else {
          await credit(trx, workspaceId, { ...base, kind: 'earn', idempotencyKey: `order:${order.orderId}`, expiresAt: expiryFor(settings, paidAt) });
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
      const source = { type: 'order', id: order.orderId };
      const fromPending = await reducePending(trx, workspaceId, grant.profile_id, source, cut);
      if (cut - fromPending > 0) {
        await reverse(trx, workspaceId, {
          profileId: grant.profile_id,
          points: cut - fromPending,
          reason: `refund of order ${order.orderId}`,
          sourceType: 'order',
          sourceId: order.orderId,
          idempotencyKey: `order:${order.orderId}:to:${target}`,
        }, now);
      }
      await trx
        .updateTable('points_order_grants')
        .set({ granted_points: target, updated_at: now })
        .where('workspace_id', '=', workspaceId)
        .where('order_id', '=', order.orderId)
        .execute();
      result.reversed = cut;
    }
    return result;
  });
  // Upgrades are immediate (points or spend basis); downgrades wait for the evaluation job.
  if (settlement.granted > 0 || settlement.reversed > 0) await applyTierChange(db, workspaceId, order.profileId, now);
  return settlement;
}

function pointsFor(eligible: number, rate: number, cap: number | undefined): number {
  const points = Math.floor(Math.round(eligible * rate * 100) / 100);
  return cap ? Math.min(points, cap) : points;
}

/**
 * The amount that earns: paid for goods (shipping excluded if configured), in the share of the item value that is
 * not excluded by SKU or category. With `afterRefunds`, refunded quantities (or, without items, refunded amounts)
 * are taken out; a refunded or cancelled order earns nothing.
 */
export function eligibleAmount(order: OrderForPoints & { items: NonNullable<OrderForPoints['items']> }, earning: LoyaltySettings['orderEarning'], afterRefunds: boolean): number {
  if (afterRefunds && (order.status === 'refunded' || order.status === 'cancelled')) return 0;
  const shipping = earning.excludeShipping ? (order.shippingAmount ?? 0) : 0;
  const goods = Math.max(0, order.paidAmount - shipping);
  const excluded = (item: { sku: string; category?: string | null }) =>
    earning.excludedSkus.includes(item.sku) || (item.category != null && earning.excludedCategories.includes(item.category));
  const items = order.items;
  const total = items.reduce((sum, i) => sum + i.price * i.quantity, 0);
  if (items.length === 0 || total <= 0) {
    return round2(Math.max(0, goods - (afterRefunds ? (order.refundedAmount ?? 0) : 0)));
  }
  const included = items
    .filter((i) => !excluded(i))
    .reduce((sum, i) => sum + i.price * (i.quantity - (afterRefunds ? Math.min(i.quantity, i.refundedQuantity ?? 0) : 0)), 0);
  let eligible = (goods * included) / total;
  // Refunds recorded as an amount only (no item quantities) still reduce what earns.
  if (afterRefunds && items.every((i) => !i.refundedQuantity) && (order.refundedAmount ?? 0) > 0) {
    eligible = Math.max(0, eligible - (order.refundedAmount ?? 0) * (included / total));
  }
  return round2(eligible);
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Settles points for orders from their stored rows (the orders module's tables): a sweep or an explicit call. */
export async function settlePointsForOrders(db: Db, workspaceId: string, orderIds: string[], now = new Date()): Promise<OrderSettlement[]> {
  if (orderIds.length === 0) return [];
  const orders = await db.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId).where('order_id', 'in', orderIds).execute();
  const items = await db.selectFrom('order_items').selectAll().where('workspace_id', '=', workspaceId).where('order_id', 'in', orderIds).orderBy('line').execute();
  const out: OrderSettlement[] = [];
  for (const o of orders) {
    if (o.profile_id == null) continue;
    out.push(
      await settleOrderPoints(db, workspaceId, {
        orderId: o.order_id,
        profileId: o.profile_id,
        status: o.status,
        paidAmount: o.paid_amount,
        shippingAmount: o.shipping_amount,
        refundedAmount: o.refunded_amount,
        paidAt: o.paid_at,
        items: items
          .filter((i) => i.order_id === o.order_id)
          .map((i) => ({ sku: i.sku, category: i.category, price: i.price, quantity: i.quantity, refundedQuantity: i.refunded_quantity })),
      }, now),
    );
  }
  return out;
}
