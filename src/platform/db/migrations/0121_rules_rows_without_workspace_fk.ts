import { sql, type Kysely } from 'kysely';

/**
 * The per-profile rows the batch passes write by the million (AIPL stages and their history, RFM scores, tag
 * history) no longer carry a foreign key to `workspaces`, for the reason migration 0006 gives for the ingest tables:
 * each key ran a check (a lookup and a KEY SHARE lock of the workspace row) per inserted row, ~10–20 % of a first
 * AIPL or RFM pass at 1M profiles, and it guarded nothing: every writer takes the workspace id from an authenticated
 * token and no code path deletes a workspace. A future workspace deletion must delete these rows itself.
 * Keys to tags and segments stay: deleting a tag or a segment does cascade to its assignments and members.
 */
const TABLES = ['profile_lifecycle', 'lifecycle_history', 'profile_rfm', 'tag_history'];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT IF EXISTS ${sql.id(`${table}_workspace_id_fkey`)}`.execute(db);
  }
}
