import { sql, type Kysely } from 'kysely';

/**
 * The event cursor's unsettled stretch: ids it has read up to while other transactions were still running (they may
 * commit lower ids later), which ids it has already handled, and which transactions it waits for.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE journey_cursors ADD COLUMN pending jsonb`.execute(db);
}
