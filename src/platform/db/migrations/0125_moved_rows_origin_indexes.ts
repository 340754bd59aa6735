import { sql, type Kysely } from 'kysely';

/**
 * The origin indexes of tag assignments, tag history and segment members hold only rows a merge moved away from the
 * profile they were written for (origin ≠ profile). A row still at its origin is found by its profile's index, so
 * the merge / unmerge remaps (tags/remap.ts, segments/remap.ts) look rows up by origin in two parts; every real-time
 * tag change (a tag_assignments row and a tag_history row) and segment move wrote an entry into a full origin
 * index for nothing but those remaps.
 */
const INDEXES = [
  ['tag_assignments', 'tag_assignments_origin'],
  ['tag_history', 'tag_history_origin'],
  ['segment_members', 'segment_members_origin'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [table, index] of INDEXES) {
    await sql`DROP INDEX ${sql.id(index)}`.execute(db);
    await sql`CREATE INDEX ${sql.id(index)} ON ${sql.table(table)} (workspace_id, origin_profile_id) WHERE origin_profile_id <> profile_id`.execute(db);
  }
}
