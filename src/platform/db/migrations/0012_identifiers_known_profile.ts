import { sql, type Kysely } from 'kysely';

/**
 * Known people by profile id, for the profile list's `kind=known` (the console's default): as 0011 for members. A
 * page walked every live profile from the newest down, asking each for an identifier other than an anonymousId: under
 * 200,000 newer anonymous visitors, 50 ms a page (bench/scale-audit-routes.sh). Partial: anonymousIds, the most
 * numerous identifiers, are left out. Its cost on ingest: storing 20,000 new people (identify with userId, email and
 * phone) took ~3 % longer (4,070 -> 3,940 people/s, two rounds each, PostgreSQL).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX identifiers_known_profile ON identifiers (workspace_id, profile_id) WHERE type <> 'anonymousId'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX identifiers_known_profile`.execute(db);
}
