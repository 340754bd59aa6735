import { sql, type Kysely } from 'kysely';

/**
 * The outbox by profile, every row: a OneID merge moves the absorbed profile's outbox rows and a profile deletion
 * deletes them (journeys/remap.ts); with no index by profile for all rows both read the workspace's whole outbox.
 * It replaces journey_outbox_cap (workspace_id, profile_id, channel, created_at) WHERE kind = 'send' AND marketing,
 * the frequency cap's count, with the same columns over all rows: the cap still finds a profile's sends on a channel
 * since a time by key, filtering out the few that are not marketing sends (other rows are deleted once done: kept
 * while pending or failed). A marketing send, most rows the outbox keeps, still writes one index entry of the kind,
 * not two; other rows one more.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX journey_outbox_profile ON journey_outbox (workspace_id, profile_id, channel, created_at);
    DROP INDEX journey_outbox_cap;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX journey_outbox_cap ON journey_outbox (workspace_id, profile_id, channel, created_at) WHERE kind = 'send' AND marketing;
    DROP INDEX journey_outbox_profile;
  `.execute(db);
}
