import { sql, type Kysely } from 'kysely';

/**
 * The address a request came from, kept with a request the intake queued: Segment fills `context.ip` from the
 * request when a message has none, and the applier prepares queued messages later, away from the request.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE ingest_intake ADD COLUMN request_ip text`.execute(db);
  await sql`ALTER TABLE ingest_intake_failed ADD COLUMN request_ip text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE ingest_intake_failed DROP COLUMN request_ip`.execute(db);
  await sql`ALTER TABLE ingest_intake DROP COLUMN request_ip`.execute(db);
}
