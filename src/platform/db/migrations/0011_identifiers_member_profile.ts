import { sql, type Kysely } from 'kysely';

/**
 * Members by profile id, for the profile list's `kind=members` (newest first, paged by id). It walked every live
 * profile from the newest down, asking each for a member number: where members are few among visitors (20,000 of
 * 206,000, the visitors newer) a page read 186,000 profiles, 68 ms (bench/scale-audit-routes.sh). Now the page is read
 * from the members' identifiers, newest profile first, one profile at a time. Partial: only member numbers.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX identifiers_member_profile ON identifiers (workspace_id, profile_id) WHERE type = 'member_no'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX identifiers_member_profile`.execute(db);
}
