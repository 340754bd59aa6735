import { sql, type Kysely } from 'kysely';

/**
 * A path step may carry the step that closed the entry right after it, at the same node and time
 * (`closing_outcome`, e.g. `finished:completed` after a send node's `queued`): the mover wrote that as a row of its own,
 * one more row and two index entries per person who finishes. The path reads show it as its own step, after the
 * one carrying it (paths.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE journey_steps ADD COLUMN closing_outcome text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE journey_steps DROP COLUMN closing_outcome`.execute(db);
}
