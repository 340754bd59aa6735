import { sql, type Kysely } from 'kysely';

/**
 * The real-time rules pass looks each changed profile up by its own keys. These indexes let it read only what it
 * needs from the index itself:
 * - events of the names a rule reads, in the rule's window: (profile, event, time). With (profile, time) alone every
 *   event of the profile in the window was fetched from the heap (scattered: one page each) and filtered by name;
 *   now only matching entries are read, and when no rule reads properties, from the index alone.
 * - a profile's rule tags and segments with their values (the index on (workspace, profile) is replaced by one that
 *   covers them), so its memberships come from one index range instead of one heap page per row.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX events_profile_event_time ON events (workspace_id, profile_id, event, "timestamp")`.execute(db);
  await sql`DROP INDEX tag_assignments_profile`.execute(db);
  await sql`CREATE INDEX tag_assignments_profile ON tag_assignments (workspace_id, profile_id, tag_id) INCLUDE (value)`.execute(db);
  await sql`DROP INDEX segment_members_profile`.execute(db);
  await sql`CREATE INDEX segment_members_profile ON segment_members (workspace_id, profile_id, segment_id)`.execute(db);
}
