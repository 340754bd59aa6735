import type { AnchoredEvent } from '../ingest/index.js';
import type { OrderStatus } from '../../platform/db/schema.js';
import type { ParsedOrder } from './schema.js';

interface ComparableOrder {
  status: OrderStatus;
  store_id: string | null;
  guide_id: string | null;
  channel: string | null;
  currency: string;
  total_amount: number;
  discount_amount: number;
  shipping_amount: number;
  paid_amount: number;
  refunded_amount: number;
  ordered_at: Date;
  paid_at: Date | null;
  refunded_at: Date | null;
  cancelled_at: Date | null;
  identifier_id: number;
  properties: unknown;
}
interface ComparableItem {
  sku: string;
  name?: string | null;
  category?: string | null;
  quantity: number;
  price: number;
}

/** What makes two versions of an order the same: re-sending an unchanged order must change nothing. */
export function orderFingerprint(o: ComparableOrder, items: ComparableItem[]): string {
  const t = (d: Date | null) => (d ? d.getTime() : null);
  const props = typeof o.properties === 'string' ? JSON.parse(o.properties) : (o.properties ?? null);
  return JSON.stringify([
    o.status, o.store_id, o.guide_id, o.channel, o.currency, Number(o.total_amount), Number(o.discount_amount), Number(o.shipping_amount),
    Number(o.paid_amount), Number(o.refunded_amount), t(o.ordered_at), t(o.paid_at), t(o.refunded_at), t(o.cancelled_at), o.identifier_id, props,
    items.map((i) => [i.sku, i.name ?? null, i.category ?? null, i.quantity, Number(i.price)]),
  ]);
}

export function statusAfterRefund(refunded: number, paid: number): OrderStatus {
  return refunded + 0.001 >= paid ? 'refunded' : refunded > 0 ? 'partially_refunded' : 'paid';
}

/**
 * Segment e-commerce spec events for an order's state. Message ids are derived from the state, so each fact is
 * recorded once however often the order is sent.
 */
export function orderLifecycleEvents(order: ParsedOrder, paidAmount: number, anchorId: number, profileId: number | null, refundedBefore = 0): AnchoredEvent[] {
  const base = {
    order_id: order.orderId,
    total: paidAmount,
    revenue: paidAmount,
    discount: order.discountAmount,
    shipping: order.shippingAmount,
    currency: order.currency,
    store_id: order.storeId ?? null,
    channel: order.channel ?? null,
    products: order.items.map((i) => ({ sku: i.sku, name: i.name, category: i.category, quantity: i.quantity, price: i.price })),
  };
  const events: AnchoredEvent[] = [];
  const push = (suffix: string, event: string, timestamp: Date, extra: Record<string, unknown> = {}) =>
    events.push({ messageId: `order:${order.orderId}:${suffix}`, event, timestamp, anchorId, profileId, properties: { ...base, ...extra } });
  if (order.status !== 'pending' && order.status !== 'cancelled') push('completed', 'Order Completed', order.paidAt ?? order.orderedAt);
  if (order.status === 'cancelled') push('cancelled', 'Order Cancelled', order.cancelledAt ?? order.orderedAt);
  // One event per increase of the refunded amount, its total what this refund returned (as POST …/refunds records
  // it), so summing the events' totals gives what was refunded; refunded_total is the order's running sum.
  const refunded = Math.round((order.refundedAmount - refundedBefore) * 100) / 100;
  if (refunded > 0) {
    push(`refunded:${order.refundedAmount}`, 'Order Refunded', order.refundedAt ?? order.orderedAt, { total: refunded, refunded_total: order.refundedAmount });
  }
  return events;
}

/** An order as stored: its row's values and its item lines (with what was refunded of each). */
export interface OrderState {
  row: ComparableOrder & { profile_id: number | null; refunded_at: Date | null };
  items: Array<ComparableItem & { refunded_quantity: number }>;
}

const STATUS_RANK: Record<string, number> = { pending: 0, paid: 1, partially_refunded: 2, refunded: 3 };

/**
 * A newer version of an order laid over what is stored. Shop systems re-send orders and their messages arrive out of
 * order, so a version never undoes a later fact: refunds only grow (the larger refunded amount wins, so a `paid`
 * re-sent after a refund, or a refund recorded through POST …/refunds, stays refunded), a cancelled order stays
 * cancelled, and the status never steps back (refunded → paid). Amounts, items and the customer follow the version
 * sent (a corrected order is a correction); fields it leaves out (store, guide, channel, properties, an empty item
 * list, times, currency, discount, shipping, amount paid) keep their stored values, so a refund-only row does not
 * wipe the order. Refunded quantities of the stored lines carry over to the new lines of the same SKU.
 */
export function mergeOrderVersion(before: OrderState | undefined, next: OrderState, given: ParsedOrder, leftOut: ReadonlySet<string>): OrderState {
  if (!before) return next;
  const b = before.row;
  const n = next.row;
  // Amounts the version left out (the schema's defaults: no discount, CNY…) are the stored ones; the amount paid is
  // derived again only when what it derives from changed.
  const currency = leftOut.has('currency') ? b.currency : n.currency;
  const discount = Number(leftOut.has('discountAmount') ? b.discount_amount : n.discount_amount);
  const shipping = Number(leftOut.has('shippingAmount') ? b.shipping_amount : n.shipping_amount);
  const sameBasis = Number(n.total_amount) === Number(b.total_amount) && discount === Number(b.discount_amount) && shipping === Number(b.shipping_amount);
  const paid = Math.max(0, !leftOut.has('paidAmount') ? Number(n.paid_amount) : sameBasis ? Number(b.paid_amount) : Math.round((Number(n.total_amount) - discount + shipping) * 100) / 100);
  const refunded = Math.min(paid, Math.max(Number(b.refunded_amount), Number(n.refunded_amount)));
  const later = ((STATUS_RANK[b.status] ?? 0) >= (STATUS_RANK[n.status] ?? 0) ? b.status : n.status) as OrderStatus;
  const status: OrderStatus = b.status === 'cancelled' || n.status === 'cancelled'
    ? 'cancelled'
    : later !== 'pending' && later !== 'refunded' && refunded > 0 ? statusAfterRefund(refunded, paid) : later;
  const row = {
    ...n,
    status,
    currency,
    discount_amount: discount,
    shipping_amount: shipping,
    paid_amount: paid,
    refunded_amount: refunded,
    store_id: given.storeId === undefined ? b.store_id : n.store_id,
    guide_id: given.guideId === undefined ? b.guide_id : n.guide_id,
    channel: given.channel === undefined ? b.channel : n.channel,
    properties: given.properties === undefined ? b.properties : n.properties,
    paid_at: given.paidAt ?? b.paid_at ?? n.paid_at,
    refunded_at: given.refundedAt ?? b.refunded_at ?? n.refunded_at,
    cancelled_at: given.cancelledAt ?? b.cancelled_at ?? n.cancelled_at,
  };
  return { row, items: mergeItems(before.items, next.items) };
}

function mergeItems(before: OrderState['items'], next: OrderState['items']): OrderState['items'] {
  if (!next.length) return before;
  const key = (i: ComparableItem) => JSON.stringify([i.sku, i.name ?? null, i.category ?? null, i.quantity, Number(i.price)]);
  if (before.length === next.length && before.every((i, k) => key(i) === key(next[k]!))) return before;
  const refundedOf = new Map<string, number>();
  for (const i of before) refundedOf.set(i.sku, (refundedOf.get(i.sku) ?? 0) + i.refunded_quantity);
  return next.map((i) => {
    const left = refundedOf.get(i.sku) ?? 0;
    const take = Math.min(left, i.quantity);
    refundedOf.set(i.sku, left - take);
    return { ...i, refunded_quantity: take };
  });
}
