import { sql, type Kysely } from 'kysely';

/**
 * Profiles the rules evaluator has taken off the change feed and is evaluating. Claiming moves rows out of
 * `profile_changes` in a short transaction, so ingest never waits for an evaluation to finish; a change arriving
 * meanwhile lands in `profile_changes` again and is evaluated next. A claim left by a crashed worker goes back.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE profile_change_claims (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      claim text NOT NULL,
      profile_id bigint NOT NULL,
      claimed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, claim, profile_id)
    )`.execute(db);
  await sql`CREATE INDEX profile_change_claims_age ON profile_change_claims (claimed_at)`.execute(db);
}
