import { sql, type Kysely } from 'kysely';

/**
 * `identifiers_type_first_seen` (0402) serves one reader, the overview's new members per day, which asks for
 * `type = 'member_no'` only; yet every identifier ingest and import create (anonymous ids, user ids, phones, emails,
 * openids) paid an entry in it. Partial on member numbers: one entry per member instead of one per identifier (a member
 * import writes two identifiers per row, new people from ingest two to four).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX identifiers_member_first_seen ON identifiers (workspace_id, first_seen_at) WHERE type = 'member_no';
    DROP INDEX IF EXISTS identifiers_type_first_seen;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX identifiers_type_first_seen ON identifiers (workspace_id, type, first_seen_at);
    DROP INDEX identifiers_member_first_seen;
  `.execute(db);
}
