import type { Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { OrdersTable } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { currentProfileOf } from '../identity/index.js';
import { decodeCursor, encodeCursor, isCursorTime } from '../../platform/http/cursor.js';

export async function getOrder(db: Db, workspaceId: string, orderId: string) {
  const order = await db.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).executeTakeFirst();
  if (!order) throw notFound(`order ${orderId}`);
  const items = await db.selectFrom('order_items').selectAll().where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).orderBy('line').execute();
  return toView(order, items, await refundsOf(db, workspaceId, [orderId]));
}

/** The refunds recorded through POST …/refunds, oldest first: which refund ids were applied, and what each returned. */
async function refundsOf(db: Db, workspaceId: string, orderIds: string[]) {
  const rows = orderIds.length
    ? await db.selectFrom('order_refunds').select(['order_id', 'refund_id', 'amount', 'items', 'refunded_at']).where('workspace_id', '=', workspaceId)
      .where('order_id', 'in', orderIds).orderBy('refunded_at').orderBy('refund_id').execute()
    : [];
  return rows.map((r) => ({
    orderId: r.order_id,
    refundId: r.refund_id,
    amount: Number(r.amount),
    items: (typeof r.items === 'string' ? JSON.parse(r.items) : r.items) as Array<{ sku: string; quantity: number }> | null,
    refundedAt: r.refunded_at,
  }));
}

/** Orders newest first, keyset-paged, optionally for one profile, store or status. */
export async function listOrders(db: Db, workspaceId: string, opts: { limit: number; cursor?: string; profileId?: number; storeId?: string; status?: string }) {
  let q = db.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId);
  // A profile merged into another has its orders there, as its timeline does; an unknown id simply has none.
  if (opts.profileId !== undefined) {
    const requested = opts.profileId;
    const current = await currentProfileOf(db, workspaceId, requested).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'not_found') return requested;
      throw err;
    });
    q = q.where('profile_id', '=', current);
  }
  if (opts.storeId) q = q.where('store_id', '=', opts.storeId);
  if (opts.status) q = q.where('status', '=', opts.status as never);
  if (opts.cursor) {
    const [ts, id] = decodeCursor(opts.cursor, 2, ([time]) => isCursorTime(time)) as [string, string];
    q = q.where((eb) => eb.or([eb('ordered_at', '<', new Date(ts)), eb.and([eb('ordered_at', '=', new Date(ts)), eb('order_id', '<', id)])]));
  }
  const rows = await q.orderBy('ordered_at', 'desc').orderBy('order_id', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  const items = page.length
    ? await db.selectFrom('order_items').selectAll().where('workspace_id', '=', workspaceId).where('order_id', 'in', page.map((o) => o.order_id)).orderBy('line').execute()
    : [];
  const refunds = await refundsOf(db, workspaceId, page.map((o) => o.order_id));
  const last = page[page.length - 1];
  return {
    data: page.map((o) => toView(o, items.filter((i) => i.order_id === o.order_id), refunds)),
    nextCursor: rows.length > opts.limit && last ? encodeCursor([last.ordered_at.toISOString(), last.order_id]) : null,
  };
}

type OrderRow = Selectable<OrdersTable>;
type ItemRow = { sku: string; name: string | null; category: string | null; quantity: number; price: number; refunded_quantity: number };

function toView(o: OrderRow, items: ItemRow[], refunds: Awaited<ReturnType<typeof refundsOf>>) {
  return {
    orderId: o.order_id,
    profileId: o.profile_id,
    storeId: o.store_id,
    guideId: o.guide_id,
    channel: o.channel,
    status: o.status,
    currency: o.currency,
    totalAmount: o.total_amount,
    discountAmount: o.discount_amount,
    shippingAmount: o.shipping_amount,
    paidAmount: o.paid_amount,
    refundedAmount: o.refunded_amount,
    orderedAt: o.ordered_at,
    paidAt: o.paid_at,
    refundedAt: o.refunded_at,
    cancelledAt: o.cancelled_at,
    items: items.map((i) => ({ sku: i.sku, name: i.name ?? undefined, category: i.category ?? undefined, quantity: i.quantity, price: i.price, refundedQuantity: i.refunded_quantity })),
    properties: o.properties,
    refunds: refunds.filter((r) => r.orderId === o.order_id).map(({ orderId: _, ...r }) => r),
  };
}
