import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

export interface FeedEvent {
  id: number;
  event: string | null;
  profile_id: number | null;
  properties: Record<string, unknown> | null;
  timestamp: Date;
}

/** Ids up to `hi` were read while the transactions `waitFor` were running; `done` were handled already. */
export interface PendingStretch {
  hi: number;
  waitFor: string[];
  done: number[];
}

export interface FeedCursor {
  lastId: number;
  pending: PendingStretch | null;
}

/**
 * The workspace's track events after the cursor, none lost and none twice. Event ids come from a sequence, so a
 * transaction that took id 100 may commit after one that took 101: a cursor that simply moved past 101 would never
 * see 100. Only transactions running when a read happens can still commit ids below what it saw (a later one takes
 * higher ids). So when other writers were running, the read is handled at once but the cursor does not move past it:
 * the stretch stays pending, with the ids already handled, until those transactions have ended; then the stretch is
 * read again and only the ids that appeared meanwhile are handled. Events come back in id order.
 */
export async function readEventFeed(
  trx: Transaction<DB>,
  workspaceId: string,
  cursor: FeedCursor,
  limit: number,
): Promise<{ events: FeedEvent[]; next: FeedCursor }> {
  if (cursor.pending) {
    const { rows } = await sql<{ running: number }>`
      SELECT count(*)::int AS running FROM unnest(${cursor.pending.waitFor}::text[]) AS x(t) WHERE txid_status(x.t::bigint) = 'in progress'`.execute(trx);
    if ((rows[0]?.running ?? 0) > 0) return { events: [], next: cursor };
    const late = await selectEvents(trx, workspaceId, sql`id > ${cursor.lastId} AND id <= ${cursor.pending.hi} AND NOT (id = ANY(${cursor.pending.done}::bigint[]))`);
    return { events: late, next: { lastId: cursor.pending.hi, pending: null } };
  }
  const { rows: snap } = await sql<{ running: string[] }>`
    SELECT coalesce(array_agg(x::text), '{}') AS running FROM txid_snapshot_xip(txid_current_snapshot()) AS x
    WHERE x IS DISTINCT FROM txid_current_if_assigned()`.execute(trx);
  const running = snap[0]?.running ?? [];
  const events = await selectEvents(trx, workspaceId, sql`id > ${cursor.lastId}`, limit);
  if (!events.length) return { events, next: cursor };
  const hi = events[events.length - 1]!.id;
  // An event whose profile is still being resolved (for a moment after its batch) is read again with the stretch.
  const resolved = events.filter((e) => e.profile_id !== null);
  if (!running.length && resolved.length === events.length) return { events, next: { lastId: hi, pending: null } };
  return { events: resolved, next: { lastId: cursor.lastId, pending: { hi, waitFor: running, done: resolved.map((e) => e.id) } } };
}

async function selectEvents(trx: Transaction<DB>, workspaceId: string, where: ReturnType<typeof sql>, limit?: number): Promise<FeedEvent[]> {
  const { rows } = await sql<FeedEvent>`
    SELECT id, event, profile_id, properties, "timestamp" FROM events
    WHERE workspace_id = ${workspaceId} AND type = 'track' AND ${where}
    ORDER BY id ${limit ? sql`LIMIT ${limit}` : sql``}`.execute(trx);
  return rows;
}
