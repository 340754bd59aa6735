import { AppError } from '../../platform/errors.js';
import type { Db } from '../../platform/db/database.js';
import { refundOrder } from '../orders/index.js';
import { amount, refundRow } from './columns.js';
import type { Reject, SourceRecord } from './records.js';

/** One refund from a file: the order it returns money on, and the refund as POST /api/v1/orders/{id}/refunds takes it. */
export interface RefundGroup {
  line: number;
  orderId: string;
  refund: Record<string, unknown>;
}

/**
 * Refund rows, as a shop's refund export holds them (退款单号, 订单号, 退款金额, 退款时间): JSON lines hold whole
 * refunds ({ orderId, refundId, amount, items, refundedAt }); in a CSV, consecutive rows with the same refund id are
 * one refund, each row with a SKU one of its items.
 */
export function refundRecordsToRefunds(records: SourceRecord[]): RefundGroup[] {
  const out: RefundGroup[] = [];
  for (const rec of records) {
    if ('refundId' in rec.record) {
      const { orderId, ...refund } = rec.record;
      out.push({ line: rec.line, orderId: String(orderId ?? ''), refund });
      continue;
    }
    const r = refundRow(rec.record);
    const refundId = String(r.refund_id ?? '').trim();
    const item = r.sku ? { sku: String(r.sku), quantity: amount(r.quantity) ?? 1 } : undefined;
    const last = out[out.length - 1];
    if (last && refundId && last.refund.refundId === refundId && last.orderId === String(r.order_id ?? '').trim()) {
      if (item) ((last.refund.items ??= []) as unknown[]).push(item);
      continue;
    }
    out.push({
      line: rec.line,
      orderId: String(r.order_id ?? '').trim(),
      refund: { refundId, amount: amount(r.amount), refundedAt: r.refunded_at || undefined, ...(item ? { items: [item] } : {}) },
    });
  }
  return out;
}

/**
 * Applies each refund as the refunds API does (once per refund id, points reversed, the order's status and events),
 * one at a time: a refund is a few rows of a file, and each must be refused on its own line (an unknown order, more
 * than was paid, a refund id reused for another amount) without stopping the rest.
 */
export async function applyRefunds(db: Db, workspaceId: string, groups: RefundGroup[]): Promise<{ imported: number; unchanged: number; rejects: Reject[] }> {
  let imported = 0;
  let unchanged = 0;
  const rejects: Reject[] = [];
  for (const g of groups) {
    const label = `refund ${String(g.refund.refundId ?? '')} of order ${g.orderId}`;
    if (!g.orderId) {
      rejects.push({ line: g.line, reason: 'no order id: give order_id (订单号)' });
      continue;
    }
    try {
      const result = await refundOrder(db, workspaceId, g.orderId, g.refund);
      if (result.applied) imported++;
      else unchanged++;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const details = err.details?.map((d) => `${d.path?.replace(/^body\.?/, '') || 'refund'}: ${d.message}`).join('; ');
      rejects.push({ line: g.line, reason: `${label}: ${err.message}${details ? ` (${details})` : ''}` });
    }
  }
  return { imported, unchanged, rejects };
}
