import { sql, type Kysely } from 'kysely';

/** Where each node sits on the canvas, per version: presentation only, the engine never reads it. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE journey_versions ADD COLUMN layout jsonb`.execute(db);
}
