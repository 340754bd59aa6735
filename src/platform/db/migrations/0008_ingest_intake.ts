import { sql, type Kysely } from 'kysely';

/**
 * The ingest intake: requests accepted under load are committed here, one row per request (its body as received,
 * validated), and applied later in large batches by the intake applier, which deletes each row in the transaction
 * that applies it. `payload` is stored uncompressed (STORAGE EXTERNAL): a 100-event body is ~40 KB, and pglz
 * compression on the accept path cost more CPU than the bytes it saves for a row that lives for a second.
 * No foreign key to workspaces (as events since 0006): one index entry per accepted request, nothing else.
 * `ingest_intake_failed` keeps a row the database refused to apply (a value PostgreSQL cannot store), with why.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE ingest_intake (
      id bigserial PRIMARY KEY,
      workspace_id text NOT NULL,
      received_at timestamptz NOT NULL,
      message_count integer NOT NULL,
      kind text NOT NULL,
      payload text NOT NULL
    )`.execute(db);
  await sql`ALTER TABLE ingest_intake ALTER COLUMN payload SET STORAGE EXTERNAL`.execute(db);
  await sql`CREATE INDEX ingest_intake_workspace ON ingest_intake (workspace_id, id)`.execute(db);
  await sql`
    CREATE TABLE ingest_intake_failed (
      id bigint PRIMARY KEY,
      workspace_id text NOT NULL,
      received_at timestamptz NOT NULL,
      message_count integer NOT NULL,
      kind text NOT NULL,
      payload text NOT NULL,
      error text NOT NULL,
      failed_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX ingest_intake_failed_workspace ON ingest_intake_failed (workspace_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE ingest_intake_failed`.execute(db);
  await sql`DROP TABLE ingest_intake`.execute(db);
}
