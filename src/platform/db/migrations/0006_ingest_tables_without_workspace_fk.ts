import { sql, type Kysely } from 'kysely';

/**
 * The tables ingest writes per event or per new person no longer carry a foreign key to `workspaces`. Each such
 * key ran a check for every inserted row (a lookup and a KEY SHARE lock of the workspace row, ~1.8 per event), and it
 * guarded nothing the code does not already guarantee: every writer takes the workspace id from an authenticated
 * write key or admin token, which names an existing workspace, and no code path deletes a workspace (the cascade
 * never ran). A future workspace deletion must delete these tables' rows itself (see docs/architecture.md).
 */
const TABLES = ['events', 'identifiers', 'identity_links', 'identity_pending', 'profiles', 'profile_changes'];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT IF EXISTS ${sql.id(`${table}_workspace_id_fkey`)}`.execute(db);
  }
}
