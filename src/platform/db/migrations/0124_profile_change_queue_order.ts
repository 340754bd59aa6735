import { sql, type Kysely } from 'kysely';

/**
 * The change feed is claimed oldest first by `queued_at`, the time a profile went on the feed, which no later write
 * to its row touches. `changed_at` moves on whenever a queued row widens (a new event name arrives for the profile),
 * so under load a busy profile was pushed behind quieter ones again and again, and the oldest change waited for the
 * whole backlog several times over (bench/realtime.ts p99). A claim carries its rows' queue time, so a claim that
 * goes back on the feed keeps its place.
 *
 * Claims lose their foreign key to workspaces: every claimed profile paid a key check on insert (14.8 of 44 ms for a
 * claim of 1,000 in EXPLAIN ANALYZE), for rows that live for one pass; no code path deletes a workspace (see 0121).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE profile_changes ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now()`.execute(db);
  await sql`ALTER TABLE profile_change_claims ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now()`.execute(db);
  await sql`ALTER TABLE profile_change_claims DROP CONSTRAINT IF EXISTS profile_change_claims_workspace_id_fkey`.execute(db);
}
