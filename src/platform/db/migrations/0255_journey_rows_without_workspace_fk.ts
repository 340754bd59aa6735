import { sql, type Kysely } from 'kysely';

/**
 * The rows a journey writes per person (entries, path steps, outbox rows, channel deliveries) no longer carry a
 * foreign key to `workspaces`, for the reason migration 0006 gives for the ingest tables: a check and a KEY SHARE
 * lock of the workspace row per inserted row, ~7 per person in a fan-out, guarding nothing (every writer takes the
 * workspace id from an authenticated token or from a journey row; no code path deletes a workspace). A future
 * workspace deletion must delete these rows itself. Journeys, versions and channel settings keep theirs.
 */
const TABLES = ['journey_entries', 'journey_steps', 'journey_outbox', 'channel_deliveries'];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`ALTER TABLE ${sql.table(table)} DROP CONSTRAINT IF EXISTS ${sql.id(`${table}_workspace_id_fkey`)}`.execute(db);
  }
}
