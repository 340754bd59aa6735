import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

export interface FeedEvent {
  id: number;
  event: string | null;
  profile_id: number | null;
  properties: Record<string, unknown> | null;
  timestamp: Date;
}

export interface FeedTagChange {
  id: number;
  tag_id: string;
  profile_id: number;
  action: string;
  value: string;
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

type Trx = Transaction<DB>;
type Select<T> = (where: RawBuilder<unknown>, limit?: number) => Promise<T[]>;

/**
 * Rows of an id-ordered table after a cursor, none lost and none twice. Ids come from a sequence, so a transaction
 * that took id 100 may commit after one that took 101: a cursor that simply moved past 101 would never see 100.
 * Only transactions running when a read happens can still commit ids below what it saw (a later one takes higher
 * ids). So when other writers were running, the read is handled at once but the cursor does not move past it: the
 * stretch stays pending, with the ids already handled, until those transactions have ended; then the stretch is
 * read again and only the ids that appeared meanwhile are handled. `ready` says whether a row can be handled now
 * (one that cannot is read again with the stretch). Rows come back in id order.
 */
async function readFeed<T extends { id: number }>(trx: Trx, table: 'events' | 'tag_history', cursor: FeedCursor, limit: number, select: Select<T>, ready: (row: T) => boolean = () => true) {
  if (cursor.pending) {
    const { rows } = await sql<{ running: number }>`
      SELECT count(*)::int AS running FROM unnest(${cursor.pending.waitFor}::text[]) AS x(t) WHERE txid_status(x.t::bigint) = 'in progress'`.execute(trx);
    if ((rows[0]?.running ?? 0) > 0) return { rows: [] as T[], next: cursor };
    const late = await select(sql`id > ${cursor.lastId} AND id <= ${cursor.pending.hi} AND NOT (id = ANY(${cursor.pending.done}::bigint[]))`);
    return { rows: late, next: { lastId: cursor.pending.hi, pending: null } };
  }
  // Only transactions that have written to the feed's own table can still commit ids below what this read sees, so
  // only they are waited for: a long transaction elsewhere (a bulk load in another table, schema or database) must
  // not hold every journey back. Such a writer holds RowExclusiveLock on the table from before it took an id until
  // it ends; its xid is the transactionid lock it holds (pg_locks, unlike pg_stat_activity, shows it to any user).
  const { rows: snap } = await sql<{ running: string[]; plan_was: string }>`
    SELECT coalesce(array_agg(x::text), '{}') AS running, ${ORDERED_PLAN} FROM txid_snapshot_xip(txid_current_snapshot()) AS x
    WHERE x IS DISTINCT FROM txid_current_if_assigned()
      AND (x % 4294967296) IN (
        SELECT own.transactionid::text::bigint FROM pg_locks w
        JOIN pg_locks own ON own.virtualtransaction = w.virtualtransaction AND own.locktype = 'transactionid' AND own.mode = 'ExclusiveLock' AND own.granted
        WHERE w.locktype = 'relation' AND w.relation = ${table}::regclass AND w.mode = 'RowExclusiveLock')`.execute(trx);
  const running = snap[0]?.running ?? [];
  const rows = await select(sql`id > ${cursor.lastId}`, limit);
  await restorePlan(trx, snap[0]?.plan_was);
  if (!rows.length) return { rows, next: cursor };
  const hi = rows[rows.length - 1]!.id;
  const handled = rows.filter(ready);
  if (!running.length && handled.length === rows.length) return { rows, next: { lastId: hi, pending: null } };
  return { rows: handled, next: { lastId: cursor.lastId, pending: { hi, waitFor: running, done: handled.map((r) => r.id) } } };
}

/**
 * The next `limit` rows after the cursor are read walking the primary key (workspace_id, id) in order, whatever the
 * statistics say. A feed table filled in bulk a moment ago (a segment of 1,000,000 people writes its Segment Entered
 * events in one statement) has statistics from before: the planner took the rows after the cursor for a handful,
 * read them all with a bitmap scan and sorted them to keep 2,000 (measured on 200,000 fresh events: 660 ms for the
 * first 2,000 instead of 1 ms; at 1,000,000 ~2 s per read, the whole backlog every time). The plan settings are set
 * for the transaction in the statement before the read (`ORDERED_PLAN`) and put back in the one after; a failed
 * read aborts the transaction, which puts them back too.
 */
const ORDERED_PLAN = sql`current_setting('enable_bitmapscan') || ',' || current_setting('enable_seqscan') || ',' || current_setting('enable_sort') AS plan_was,
  set_config('enable_bitmapscan', 'off', true) AS b, set_config('enable_seqscan', 'off', true) AS s, set_config('enable_sort', 'off', true) AS o`;

async function restorePlan(trx: Trx, was: string | undefined): Promise<void> {
  const [bitmap, seq, sort] = (was ?? 'on,on,on').split(',');
  await sql`SELECT set_config('enable_bitmapscan', ${bitmap ?? 'on'}, true), set_config('enable_seqscan', ${seq ?? 'on'}, true), set_config('enable_sort', ${sort ?? 'on'}, true)`.execute(trx);
}

/** The workspace's track events after the cursor; an event whose profile is still being resolved waits a moment. */
export async function readEventFeed(trx: Trx, workspaceId: string, cursor: FeedCursor, limit: number): Promise<{ events: FeedEvent[]; next: FeedCursor }> {
  const select: Select<FeedEvent> = async (where, max) =>
    (
      await sql<FeedEvent>`
        SELECT id, event, profile_id, properties, "timestamp" FROM events
        WHERE workspace_id = ${workspaceId} AND type = 'track' AND ${where}
        ORDER BY id ${max ? sql`LIMIT ${max}` : sql``}`.execute(trx)
    ).rows;
  const { rows, next } = await readFeed(trx, 'events', cursor, limit, select, (e) => e.profile_id !== null);
  return { events: rows, next };
}

/** The workspace's tag applications and removals after the cursor. */
export async function readTagFeed(trx: Trx, workspaceId: string, cursor: FeedCursor, limit: number): Promise<{ changes: FeedTagChange[]; next: FeedCursor }> {
  const select: Select<FeedTagChange> = async (where, max) =>
    (
      await sql<FeedTagChange>`
        SELECT id, tag_id, profile_id, action, value FROM tag_history
        WHERE workspace_id = ${workspaceId} AND ${where}
        ORDER BY id ${max ? sql`LIMIT ${max}` : sql``}`.execute(trx)
    ).rows;
  const { rows, next } = await readFeed(trx, 'tag_history', cursor, limit, select);
  return { changes: rows, next };
}

/** Reads a workspace's feed cursor (locked; SKIP LOCKED, so one worker per workspace and source) . */
export async function lockFeedCursor(trx: Trx, workspaceId: string, source: 'events' | 'tags'): Promise<FeedCursor | null> {
  const { rows } = await sql<{ last_id: number; pending: PendingStretch | null }>`
    SELECT last_id, pending FROM journey_cursors WHERE workspace_id = ${workspaceId} AND source = ${source} FOR UPDATE SKIP LOCKED`.execute(trx);
  return rows[0] ? { lastId: rows[0].last_id, pending: rows[0].pending } : null;
}

export async function saveFeedCursor(trx: Trx, workspaceId: string, source: 'events' | 'tags', cursor: FeedCursor, now: Date): Promise<void> {
  await trx
    .updateTable('journey_cursors')
    .set({ last_id: cursor.lastId, pending: cursor.pending ? JSON.stringify(cursor.pending) : null, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('source', '=', source)
    .execute();
}
