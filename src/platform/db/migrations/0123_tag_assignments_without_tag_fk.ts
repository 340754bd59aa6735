import { sql, type Kysely } from 'kysely';

/**
 * tag_assignments no longer carries a foreign key to `tags`. The real-time rules pass writes a rule tag's changes by
 * the thousand per second under load (bench/realtime.ts: ~3 per profile whose event arrived), and the key ran a check
 * per inserted row (a lookup and a KEY SHARE lock of the tag row): ~4 of the ~40 µs of backend CPU each change costs
 * with its history row (measured on 994 rows). Its cascade never runs: no code path deletes a tag (tags are archived
 * or merged, which moves or keeps their rows), a tag group, or a workspace (migration 0121); every writer takes the
 * tag from a live tag it has just read. A future deletion of tags must delete their assignments itself. The key of
 * segment_members to `segments` stays: segments are deleted, and the cascade removes their members.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE tag_assignments DROP CONSTRAINT IF EXISTS tag_assignments_workspace_id_tag_id_fkey`.execute(db);
}
