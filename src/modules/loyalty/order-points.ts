import type { Db } from '../../platform/db/database.js';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { settleOrderBatch } from './order-batch.js';
import { getLoyaltySettings } from './settings.js';
import { OrderForPoints, type LoyaltySettings } from './schema.js';

/**
 * The seam between orders and points. Points of an order are a function of the order's state: on first sight of a
 * paid order the rate (points per eligible yuan, with the tier multiplier) is fixed in `points_order_grants`; each
 * later state sets a new target and the difference is earned or reversed (order-plan.ts): a refund lowers it (and a
 * late snapshot of the same order never raises it again), a corrected order (an item added) raises or lowers it at
 * the fixed rate, and an order that changed customer moves its points to the new one. Settling is therefore
 * idempotent and converges on the order's current state: the orders module (or an explicit "paid"/"refunded" call,
 * or a sweep over order rows) may call it any number of times, and the stored order row always wins.
 */
export type OrderSnapshot = OrderForPoints;
export type ParsedOrder = ReturnType<typeof OrderForPoints.parse>;

export interface OrderSettlement {
  orderId: string;
  targetPoints: number;
  granted: number;
  reversed: number;
  pending: boolean;
}

/** Settles one order from a snapshot (the explicit "order paid / refunded" call): a batch of one. */
export async function settleOrderPoints(db: Db, workspaceId: string, input: OrderSnapshot, now = new Date()): Promise<OrderSettlement> {
  const order = OrderForPoints.parse(input);
  const settings = await getLoyaltySettings(db, workspaceId);
  return (await settleOrderBatch(db, workspaceId, [order], settings, now))[0]!;
}

export function pointsFor(eligible: number, rate: number, cap: number | undefined): number {
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

/** Orders per settlement transaction. */
export const SETTLE_BATCH = 1_000;

/**
 * Settles points for orders from their stored rows (the orders module's tables): the orders-written hook, a sweep
 * or an explicit call. Batches of up to SETTLE_BATCH orders, each one transaction (order-batch.ts), which reads the
 * rows again once the orders' grants are locked and follows corrections and changes of customer.
 */
export async function settlePointsForOrders(db: Db, workspaceId: string, orderIds: string[], now = new Date()): Promise<OrderSettlement[]> {
  const ids = [...new Set(orderIds)];
  if (ids.length === 0) return [];
  const settings = await getLoyaltySettings(db, workspaceId);
  const out: OrderSettlement[] = [];
  for (let k = 0; k < ids.length; k += SETTLE_BATCH) {
    // Read first for the accounts to lock, then again under the grants' locks (a newer version may have landed).
    const snapshots = await readStoredOrders(db, workspaceId, ids.slice(k, k + SETTLE_BATCH));
    out.push(...(await settleOrderBatch(db, workspaceId, snapshots, settings, now, readStoredOrders)));
  }
  return out;
}

/** Orders' current rows as snapshots; orders without a profile (identity not yet resolved) are left out. */
async function readStoredOrders(db: Kysely<DB>, workspaceId: string, chunk: string[]): Promise<ParsedOrder[]> {
  const orders = await db.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId).where('order_id', '=', sql<string>`ANY(${chunk}::text[])`).where('profile_id', 'is not', null).execute();
  const items = await db.selectFrom('order_items').select(['order_id', 'sku', 'category', 'price', 'quantity', 'refunded_quantity'])
    .where('workspace_id', '=', workspaceId).where('order_id', '=', sql<string>`ANY(${chunk}::text[])`).orderBy('order_id').orderBy('line').execute();
  const itemsOf = new Map<string, typeof items>();
  for (const i of items) itemsOf.set(i.order_id, [...(itemsOf.get(i.order_id) ?? []), i]);
  return orders.map((o) =>
    OrderForPoints.parse({
      orderId: o.order_id,
      profileId: o.profile_id,
      status: o.status,
      paidAmount: o.paid_amount,
      shippingAmount: o.shipping_amount,
      refundedAmount: o.refunded_amount,
      paidAt: o.paid_at,
      items: (itemsOf.get(o.order_id) ?? []).map((i) => ({ sku: i.sku, category: i.category, price: i.price, quantity: i.quantity, refundedQuantity: i.refunded_quantity })),
    }),
  );
}
