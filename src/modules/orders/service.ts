import { sql, type Insertable, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB, OrdersTable } from '../../platform/db/schema.js';
import { AppError, invalid, notFound, type ErrorDetail } from '../../platform/errors.js';
import { zodIssuesToDetails } from '../../platform/http/validation.js';
import { runOrdersWrittenHandlers } from '../../platform/hooks.js';
import { applyProfileTouches, lockIdentityShared, markProfilesChanged, writeWithIdentities } from '../identity/index.js';
import { insertAnchoredEvents, type AnchoredEvent } from '../ingest/index.js';
import { customerIdentifiers } from './customer.js';
import { withZonedTimes, zonedTime } from './local-time.js';
import { OrderInput, RefundInput, round2, type ParsedOrder } from './schema.js';
import { mergeOrderVersion, orderFingerprint, orderLifecycleEvents, statusAfterRefund, type OrderState } from './lifecycle.js';

type Trx = Transaction<DB>;

export interface UpsertResult {
  orderId: string;
  outcome: 'created' | 'updated' | 'unchanged';
  profileId: number | null;
}

/** Fields the schema fills in when left out: on an update, a version that leaves them out keeps the stored values. */
const DEFAULTED = ['currency', 'discountAmount', 'shippingAmount', 'paidAmount'];
const leftOut = new WeakMap<ParsedOrder, ReadonlySet<string>>();

/** Validates orders; every problem names the order's index and field. Times without an offset are read in `timeZone`. */
export function parseOrders(raw: unknown[], root = 'orders', timeZone = 'UTC'): { orders: ParsedOrder[]; errors: ErrorDetail[] } {
  const orders: ParsedOrder[] = [];
  const errors: ErrorDetail[] = [];
  raw.forEach((input, index) => {
    const r = OrderInput.safeParse(withZonedTimes(input, timeZone));
    if (!r.success) return errors.push(...zodIssuesToDetails(r.error, `${root}[${index}]`).map((d) => ({ ...d, index })));
    if (!customerIdentifiers(r.data.customer).length) {
      return errors.push({ index, path: `${root}[${index}].customer`, message: 'name the customer by at least one usable identifier' });
    }
    const sent = input as Record<string, unknown>;
    leftOut.set(r.data, new Set(DEFAULTED.filter((field) => sent[field] === undefined || sent[field] === null)));
    orders.push(r.data);
  });
  return { orders, errors };
}

/**
 * Creates or updates orders, idempotent by order id: sending the same order again changes nothing; a changed
 * order (paid → refunded) is updated, but a late or repeated version never undoes a refund or a cancellation
 * (mergeOrderVersion). Customers are resolved through OneID; lifecycle events (Order Completed,
 * Order Refunded, Order Cancelled) are recorded once each, for journeys and rules.
 */
export async function upsertOrders(db: Db, workspaceId: string, raw: unknown[]): Promise<UpsertResult[]> {
  const results = await writeOrdersRetrying(db, workspaceId, raw);
  // Unchanged orders too: a handler (loyalty) that failed after the commit runs again when the client retries, as
  // the hook promises; the handlers are idempotent, so an order already settled changes nothing.
  await runOrdersWrittenHandlers(db, workspaceId, results.map((r) => r.orderId));
  return results;
}

/**
 * Two requests creating the same new order (say, with different customer identifiers, which take no common identity
 * lock) both find no stored row, and the second insert waits for the first and then violates the primary key. The
 * whole write is then retried: it finds the order the first created, locks it, and applies its version over it.
 */
async function writeOrdersRetrying(db: Db, workspaceId: string, raw: unknown[]): Promise<UpsertResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeOrders(db, workspaceId, raw);
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (attempt >= 5 || e.code !== '23505' || (e.constraint !== undefined && e.constraint !== 'orders_pkey')) throw err;
    }
  }
}

async function writeOrders(db: Db, workspaceId: string, raw: unknown[]): Promise<UpsertResult[]> {
  const { orders: parsed, errors } = parseOrders(raw, 'orders', await workspaceTimeZone(db, workspaceId));
  if (errors.length) throw new AppError('invalid_request', `${errors.length} invalid order field(s); first: ${errors[0]!.path}: ${errors[0]!.message}`, errors);
  // Versions of one order id in one request apply in the order sent, as if sent one after the other.
  const versionsOf = new Map<string, ParsedOrder[]>();
  for (const o of parsed) (versionsOf.get(o.orderId) ?? versionsOf.set(o.orderId, []).get(o.orderId)!).push(o);
  const ids = [...versionsOf.keys()].sort();
  const items = ids.map((id) => {
    const last = versionsOf.get(id)!.at(-1)!;
    return { messageId: `order:${id}`, time: last.orderedAt, identifiers: customerIdentifiers(last.customer) };
  });
  return writeWithIdentities(db, workspaceId, items, async (trx, resolved) => {
    const existing = new Map(
      (await trx.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId).where('order_id', 'in', ids).forUpdate().execute()).map((r) => [r.order_id, r]),
    );
    const existingItems = await loadItems(trx, workspaceId, [...existing.keys()]);
    const results: UpsertResult[] = [];
    const events: AnchoredEvent[] = [];
    const touched: Array<{ profileId: number; time: Date }> = [];
    const newRows: Array<Insertable<OrdersTable>> = [];
    const newItems: ReturnType<typeof itemRows> = [];
    for (const [i, orderId] of ids.entries()) {
      const { anchorId, profileId } = resolved.items[i]!;
      const stored = existing.get(orderId);
      const before: OrderState | undefined = stored && { row: stored, items: existingItems.get(orderId) ?? [] };
      let state = before;
      let order = versionsOf.get(orderId)![0]!;
      for (const version of versionsOf.get(orderId)!) {
        order = version;
        state = mergeOrderVersion(state, versionState(order, anchorId, profileId), order, leftOut.get(order) ?? new Set());
      }
      const { row, items: lines } = state!;
      if (before && orderFingerprint(before.row, before.items) === orderFingerprint(row, lines)) {
        results.push({ orderId, outcome: 'unchanged', profileId: stored!.profile_id });
        continue;
      }
      const values = { ...row, workspace_id: workspaceId, order_id: orderId, properties: jsonText(row.properties) };
      if (before) {
        await trx.updateTable('orders').set({ ...values, updated_at: new Date() }).where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).execute();
        if (lines !== before.items) {
          await trx.deleteFrom('order_items').where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).execute();
          await insertOrderRows(trx, [], itemRows(workspaceId, orderId, lines));
        }
      } else {
        newRows.push(values);
        newItems.push(...itemRows(workspaceId, orderId, lines));
      }
      // The events describe the order as it now stands, not the version that was sent.
      const now: ParsedOrder = {
        ...order, status: row.status, refundedAmount: row.refunded_amount, storeId: row.store_id, channel: row.channel, currency: row.currency,
        discountAmount: row.discount_amount, shippingAmount: row.shipping_amount,
        paidAt: row.paid_at, refundedAt: row.refunded_at, cancelledAt: row.cancelled_at,
        items: lines.map((l) => ({ sku: l.sku, name: l.name ?? undefined, category: l.category ?? undefined, quantity: l.quantity, price: Number(l.price) })),
      };
      events.push(...orderLifecycleEvents(now, row.paid_amount, anchorId, profileId, before ? Number(before.row.refunded_amount) : 0));
      if (profileId !== null) touched.push({ profileId, time: row.ordered_at });
      results.push({ orderId, outcome: before ? 'updated' : 'created', profileId });
    }
    // New orders and their items go in with one statement each, whatever the batch size.
    await insertOrderRows(trx, newRows, newItems);
    await insertAnchoredEvents(trx, workspaceId, events);
    await applyProfileTouches(trx, workspaceId, touched);
    // Answer in the caller's order.
    const position = new Map(parsed.map((o, i) => [o.orderId, i]));
    return results.sort((a, b) => position.get(a.orderId)! - position.get(b.orderId)!);
  });
}

/** One version of an order as the row and lines it describes on its own. */
function versionState(order: ParsedOrder, anchorId: number, profileId: number | null): OrderState {
  const paidAmount = order.paidAmount ?? round2(order.totalAmount - order.discountAmount + order.shippingAmount);
  // "refunded" without an amount: the whole order was refunded.
  const refundedAmount = order.status === 'refunded' && order.refundedAmount === 0 ? paidAmount : order.refundedAmount;
  // A paid order's status follows its refunded amount ("paid" with 100 refunded is partially refunded); "refunded"
  // is the shop's word that the order is closed, even if a fee was kept back.
  const status = (order.status === 'paid' || order.status === 'partially_refunded') && refundedAmount > 0 ? statusAfterRefund(refundedAmount, paidAmount) : order.status;
  return {
    row: {
      identifier_id: anchorId, profile_id: profileId,
      store_id: order.storeId ?? null, guide_id: order.guideId ?? null, channel: order.channel ?? null, status,
      currency: order.currency, total_amount: order.totalAmount, discount_amount: order.discountAmount, shipping_amount: order.shippingAmount,
      paid_amount: paidAmount, refunded_amount: refundedAmount, ordered_at: order.orderedAt,
      paid_at: order.paidAt ?? (order.status === 'pending' || order.status === 'cancelled' ? null : order.orderedAt),
      refunded_at: order.refundedAt ?? null, cancelled_at: order.cancelledAt ?? null,
      properties: order.properties ?? null,
    },
    items: order.items.map((it) => ({ sku: it.sku, name: it.name ?? null, category: it.category ?? null, quantity: it.quantity, price: it.price, refunded_quantity: 0 })),
  };
}

const jsonText = (v: unknown) => (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

async function workspaceTimeZone(db: Db, workspaceId: string): Promise<string> {
  const row = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst();
  return row?.timezone ?? 'UTC';
}

function itemRows(workspaceId: string, orderId: string, items: OrderState['items']) {
  return items.map((it, line) => ({
    workspace_id: workspaceId, order_id: orderId, line, sku: it.sku, name: it.name ?? null, category: it.category ?? null, quantity: it.quantity, price: it.price,
    refunded_quantity: it.refunded_quantity,
  }));
}

async function insertOrderRows(
  trx: Trx,
  orders: Array<Insertable<OrdersTable>>,
  items: ReturnType<typeof itemRows>,
): Promise<void> {
  // Chunked to stay under the protocol's 65,535 bind parameters.
  for (let i = 0; i < orders.length; i += 2000) await trx.insertInto('orders').values(orders.slice(i, i + 2000)).execute();
  for (let i = 0; i < items.length; i += 5000) await trx.insertInto('order_items').values(items.slice(i, i + 5000)).execute();
}

async function loadItems(trx: Trx, workspaceId: string, orderIds: string[]) {
  const map = new Map<string, OrderState['items']>();
  if (!orderIds.length) return map;
  const rows = await trx.selectFrom('order_items').selectAll().where('workspace_id', '=', workspaceId).where('order_id', 'in', orderIds).orderBy('line').execute();
  for (const r of rows) (map.get(r.order_id) ?? map.set(r.order_id, []).get(r.order_id)!).push(r);
  return map;
}

/** Records a refund once per refund id; the order's refunded amount, items and status follow. */
export async function refundOrder(db: Db, workspaceId: string, orderId: string, input: unknown) {
  const zoned = input && typeof input === 'object' && 'refundedAt' in input ? { ...input, refundedAt: zonedTime(input.refundedAt, await workspaceTimeZone(db, workspaceId)) } : input;
  const parsed = RefundInput.safeParse(zoned);
  if (!parsed.success) throw invalid('invalid refund', zodIssuesToDetails(parsed.error, 'body'));
  const refund = parsed.data;
  const refundedAt = refund.refundedAt ?? new Date();
  const result = await db.transaction().execute(async (trx) => {
    await lockIdentityShared(trx, workspaceId);
    const order = await trx.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).forUpdate().executeTakeFirst();
    if (!order) throw notFound(`order ${orderId}`);
    const inserted = await sql`
      INSERT INTO order_refunds (workspace_id, order_id, refund_id, amount, items, refunded_at)
      VALUES (${workspaceId}, ${orderId}, ${refund.refundId}, ${refund.amount}, ${refund.items ? JSON.stringify(refund.items) : null}::jsonb, ${refundedAt.toISOString()}::timestamptz)
      ON CONFLICT DO NOTHING`.execute(trx);
    if (Number(inserted.numAffectedRows ?? 0) === 0) {
      // A retry applies once; the same refund id with another amount or items is a different refund: say so.
      const stored = await trx.selectFrom('order_refunds').select(['amount', 'items']).where('workspace_id', '=', workspaceId).where('order_id', '=', orderId)
        .where('refund_id', '=', refund.refundId).executeTakeFirstOrThrow();
      const itemsOf = (items: unknown) => JSON.stringify(typeof items === 'string' ? JSON.parse(items) : (items ?? null));
      if (Number(stored.amount) !== refund.amount || itemsOf(stored.items) !== itemsOf(refund.items ?? null)) {
        throw new AppError('conflict', `refund ${refund.refundId} of order ${orderId} was recorded with amount ${Number(stored.amount)} and other items: a different refund needs its own refundId`, [{ path: 'body.refundId', message: 'already used for a different refund' }]);
      }
      return { orderId, refundId: refund.refundId, applied: false, status: order.status, refundedAmount: order.refunded_amount };
    }
    const refunded = round2(order.refunded_amount + refund.amount);
    if (refunded > order.paid_amount + 0.001) {
      throw new AppError('invalid_request', `refund would bring the refunded total to ${refunded}, more than the ${order.paid_amount} paid`, [{ path: 'body.amount', message: 'exceeds what is left to refund' }]);
    }
    if (refund.items?.length) await refundItems(trx, workspaceId, orderId, refund.items);
    // A refund recorded before the order's paid version arrives keeps it pending (the paid version then makes it
    // partially refunded); money returned on a cancelled order leaves it cancelled.
    // A refunded order stays refunded (its status never steps back).
    const status = order.status === 'pending' || order.status === 'cancelled' || order.status === 'refunded' ? order.status : statusAfterRefund(refunded, order.paid_amount);
    await trx.updateTable('orders').set({ refunded_amount: refunded, status, refunded_at: refundedAt, updated_at: new Date() }).where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).execute();
    await insertAnchoredEvents(trx, workspaceId, [{
      messageId: `order:${orderId}:refund:${refund.refundId}`, event: 'Order Refunded', timestamp: refundedAt, anchorId: order.identifier_id, profileId: order.profile_id,
      properties: { order_id: orderId, refund_id: refund.refundId, total: refund.amount, currency: order.currency, products: refund.items ?? [] },
    }]);
    if (order.profile_id !== null) await markProfilesChanged(trx, workspaceId, [order.profile_id]);
    return { orderId, refundId: refund.refundId, applied: true, status, refundedAmount: refunded };
  });
  await runOrdersWrittenHandlers(db, workspaceId, [orderId]); // a retried refund too, as for upsertOrders
  return result;
}

/**
 * Takes refunded quantities off the order's lines, line by line: an order may hold one SKU on several lines (a gift,
 * a second price), and each unit refunded counts once.
 */
async function refundItems(trx: Trx, workspaceId: string, orderId: string, items: Array<{ sku: string; quantity: number }>): Promise<void> {
  const lines = await trx.selectFrom('order_items').select(['line', 'sku', 'quantity', 'refunded_quantity'])
    .where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).orderBy('line').execute();
  const added = new Map<number, number>();
  for (const it of items) {
    let left = it.quantity;
    for (const l of lines) {
      if (l.sku !== it.sku || left === 0) continue;
      const take = Math.min(left, l.quantity - l.refunded_quantity - (added.get(l.line) ?? 0));
      if (take > 0) added.set(l.line, (added.get(l.line) ?? 0) + take);
      left -= Math.max(0, take);
    }
    if (left > 0) throw invalid(`cannot refund ${it.quantity} × ${it.sku} on order ${orderId}`, [{ path: 'body.items', message: 'unknown SKU or more than bought' }]);
  }
  for (const [line, quantity] of added) {
    await trx.updateTable('order_items').set((eb) => ({ refunded_quantity: eb('refunded_quantity', '+', quantity) }))
      .where('workspace_id', '=', workspaceId).where('order_id', '=', orderId).where('line', '=', line).execute();
  }
}
