import { sql, type Kysely } from 'kysely';

/**
 * Fewer index writes per ingested event.
 *
 * - profiles: ingest rewrites a profile row when its last-seen time moves on (to the minute) or a trait changes. The
 *   index `profiles_live` held `last_seen_at`, so each such rewrite was a non-HOT update: a new entry in every index
 *   of the table. No query walks profiles by last-seen (the profile list pages by id; the overview counts the active
 *   ones in one pass), so the index is replaced by one on the id alone, and the table leaves room in each page
 *   (fillfactor 80) so that a rewrite finds space for the new row version on the same page (a HOT update: no index
 *   entry at all).
 * - profile_changes: the change feed's rows are rewritten when a queued profile changes in a new way; the same room
 *   keeps those rewrites HOT.
 * - events: `events_profile_time` (workspace, profile, time) is dropped. Every read of one profile's events is served
 *   as well by `events_profile_event_time` (workspace, profile, event, time; migration 0102): the real-time rules
 *   lookups, AIPL per profile, traits recomputes and deletes read a profile's events by that prefix, and the 360°
 *   timeline reads them all for one profile (sorted by time: a profile's events are few, thousands at most).
 *   Each event wrote one entry fewer.
 *
 * fillfactor applies to pages filled from now on; existing full pages keep their rows until they are rewritten
 * elsewhere (and VACUUM frees the old versions).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE profiles SET (fillfactor = 80)`.execute(db);
  await sql`CREATE INDEX profiles_live_id ON profiles (workspace_id, id) WHERE merged_into IS NULL`.execute(db);
  await sql`DROP INDEX profiles_live`.execute(db);
  await sql`ALTER INDEX profiles_live_id RENAME TO profiles_live`.execute(db);
  await sql`ALTER TABLE profile_changes SET (fillfactor = 70)`.execute(db);
  await sql`DROP INDEX events_profile_time`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX events_profile_time ON events (workspace_id, profile_id, "timestamp")`.execute(db);
  await sql`ALTER TABLE profile_changes RESET (fillfactor)`.execute(db);
  await sql`DROP INDEX profiles_live`.execute(db);
  await sql`CREATE INDEX profiles_live ON profiles (workspace_id, last_seen_at DESC) WHERE merged_into IS NULL`.execute(db);
  await sql`ALTER TABLE profiles RESET (fillfactor)`.execute(db);
}
