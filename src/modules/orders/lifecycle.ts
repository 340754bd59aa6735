import type { AnchoredEvent } from '../ingest/index.js';
import type { OrderStatus } from '../../platform/db/schema.js';
import type { ParsedOrder } from './schema.js';

interface ComparableOrder {
  status: string;
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
export function orderLifecycleEvents(order: ParsedOrder, paidAmount: number, anchorId: number, profileId: number | null): AnchoredEvent[] {
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
  if (order.refundedAmount > 0) push(`refunded:${order.refundedAmount}`, 'Order Refunded', order.refundedAt ?? order.orderedAt, { total: order.refundedAmount });
  return events;
}
