import { sql, type Kysely } from 'kysely';

/**
 * The profile an entry was made for, once a merge has moved the entry to another profile (NULL while it never moved:
 * the entry's own profile_id). Re-entry checks read both, so a profile an unmerge restores is still the person who
 * went through the journey ("never" means never). Partial index: only moved entries, nothing for the bulk to write.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE journey_entries ADD COLUMN origin_profile_id bigint;
    CREATE INDEX journey_entries_origin ON journey_entries (workspace_id, journey_id, origin_profile_id) WHERE origin_profile_id IS NOT NULL;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX journey_entries_origin; ALTER TABLE journey_entries DROP COLUMN origin_profile_id`.execute(db);
}
