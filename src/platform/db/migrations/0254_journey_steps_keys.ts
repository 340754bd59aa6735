import { sql, type Kysely } from 'kysely';

/**
 * journey_steps is the most written journey table (4 rows per person on a one-send journey): each index is a write per
 * row. The primary key becomes (workspace_id, entry_id, id), which serves the path reads by entry that
 * journey_steps_entry served; journey_steps_profile goes too, merges and deletions now reach a profile's steps through
 * its entries. Two indexes instead of four.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE journey_steps DROP CONSTRAINT journey_steps_pkey;
    ALTER TABLE journey_steps ADD PRIMARY KEY (workspace_id, entry_id, id);
    DROP INDEX journey_steps_entry;
    DROP INDEX journey_steps_profile;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX journey_steps_entry ON journey_steps (workspace_id, entry_id, id);
    CREATE INDEX journey_steps_profile ON journey_steps (workspace_id, profile_id, id);
    ALTER TABLE journey_steps DROP CONSTRAINT journey_steps_pkey;
    ALTER TABLE journey_steps ADD PRIMARY KEY (workspace_id, id);
  `.execute(db);
}
