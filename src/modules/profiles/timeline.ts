import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { decodeCursor, encodeCursor, isCursorTime } from '../../platform/http/cursor.js';
import { currentProfileOf } from '../identity/index.js';

interface TimelineRow {
  kind: 'event' | 'order';
  id: string;
  type: string;
  event: string | null;
  ts: Date;
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  order: Record<string, unknown> | null;
}

/**
 * One profile's events and orders, newest first, in one keyset-paged stream. The cursor is the last row's
 * (time, kind, id), so paging stays exact while new records arrive.
 */
export async function profileTimeline(db: Db, workspaceId: string, requestedId: number, opts: { limit: number; cursor?: string; kind?: 'event' | 'order' }) {
  const profileId = await currentProfileOf(db, workspaceId, requestedId);
  const cursor = opts.cursor ? decodeCursor(opts.cursor, 3, ([time]) => isCursorTime(time)) : null;
  const after = cursor ? sql`AND (ts, kind, id) < (${cursor[0]}::timestamptz, ${cursor[1]}, ${cursor[2]})` : sql``;
  const events = sql`
    SELECT 'event' AS kind, lpad(id::text, 20, '0') AS id, type, event, "timestamp" AS ts, properties, traits, NULL::jsonb AS "order"
    FROM events WHERE workspace_id = ${workspaceId} AND profile_id = ${profileId}`;
  const orders = sql`
    SELECT 'order' AS kind, order_id AS id, 'order' AS type, status AS event, ordered_at AS ts, properties, NULL::jsonb AS traits,
      jsonb_build_object('orderId', order_id, 'status', status, 'totalAmount', total_amount, 'paidAmount', paid_amount,
        'refundedAmount', refunded_amount, 'currency', currency, 'storeId', store_id, 'channel', channel,
        'items', (SELECT coalesce(jsonb_agg(jsonb_build_object('sku', sku, 'name', name, 'category', category, 'quantity', quantity, 'price', price) ORDER BY line), '[]'::jsonb)
                  FROM order_items oi WHERE oi.workspace_id = o.workspace_id AND oi.order_id = o.order_id)) AS "order"
    FROM orders o WHERE workspace_id = ${workspaceId} AND profile_id = ${profileId}`;
  const source = opts.kind === 'event' ? events : opts.kind === 'order' ? orders : sql`${events} UNION ALL ${orders}`;
  const { rows } = await sql<TimelineRow>`
    SELECT * FROM (${source}) t WHERE true ${after}
    ORDER BY ts DESC, kind DESC, id DESC LIMIT ${opts.limit + 1}`.execute(db);
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return {
    profileId,
    data: page.map((r) => ({
      kind: r.kind,
      id: r.kind === 'event' ? String(Number(r.id)) : r.id,
      type: r.type,
      event: r.event,
      timestamp: r.ts,
      properties: r.properties,
      ...(r.kind === 'event' ? { traits: r.traits } : { order: r.order ?? {} }),
    })),
    nextCursor: rows.length > opts.limit && last ? encodeCursor([last.ts.toISOString(), last.kind, last.id]) : null,
  };
}
