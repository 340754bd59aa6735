import { sql, type Kysely } from 'kysely';

/**
 * Covering indexes for the batch evaluator's window reads (segment and tag recomputes, AIPL): an event condition reads
 * the profile ids of one event name in a time window, an order condition the amounts of the orders in a window. With
 * the needed columns in the index the read is an index-only scan of that window, instead of fetching one heap page per
 * row from tables whose rows are wide (events carry their properties and context): at 1M profiles the 30-day
 * window of one event name touched most of the events table's pages, which dominated a recompute on a cold cache.
 *
 * events_name_time keeps its name and key columns (every query by event name and time keeps its plan) and gains
 * profile_id and type (AIPL maps page / screen calls by type); orders gets a covering twin of its (workspace, time)
 * index for counted-order reads. Page and screen calls, which AIPL reads by type whatever their name, get a partial
 * (workspace, time) index of their own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX events_name_time_covering ON events (workspace_id, event, "timestamp") INCLUDE (profile_id, type);
    DROP INDEX events_name_time;
    ALTER INDEX events_name_time_covering RENAME TO events_name_time;
    CREATE INDEX events_views_time ON events (workspace_id, "timestamp") INCLUDE (profile_id, type) WHERE type IN ('page', 'screen');
    CREATE INDEX orders_time_counted ON orders (workspace_id, ordered_at) INCLUDE (profile_id, status, paid_amount, refunded_amount);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX orders_time_counted;
    DROP INDEX events_views_time;
    DROP INDEX events_name_time;
    CREATE INDEX events_name_time ON events (workspace_id, event, "timestamp");
  `.execute(db);
}
