import { sql, type Kysely } from 'kysely';

/** Reading a profile lists the ids it absorbed; without this index that scanned every profile of the workspace. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX profiles_absorbed ON profiles (workspace_id, merged_into) WHERE merged_into IS NOT NULL`.execute(db);
}
