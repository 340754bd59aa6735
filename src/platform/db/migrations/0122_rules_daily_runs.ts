import { sql, type Kysely } from 'kysely';

/**
 * The daily pass's claim, one row per workspace. Before, each rules worker kept "done today" in memory, so every
 * serving process (and every restart) ran the whole pass again — at 1M profiles ~30 s of exclusive steps each time.
 * A worker now claims the day with a lease it renews after each step; a pass whose process died is taken over once
 * its lease lapses.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE rules_daily_runs (
      workspace_id text PRIMARY KEY,
      day text NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'done')),
      lease_until timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}
