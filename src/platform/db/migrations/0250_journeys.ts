import { sql, type Kysely } from 'kysely';

/**
 * Journeys: definitions (versioned), each person's position as a row (`journey_entries`, woken by due time), the
 * path they took (`journey_steps`), an outbox of intended effects keyed by idempotency key, and the per-workspace
 * cursors over the events and tag history that start people on journeys.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE journeys (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      name text NOT NULL,
      status text NOT NULL DEFAULT 'draft',
      latest_version int NOT NULL DEFAULT 1,
      published_version int,
      template_key text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX journeys_live ON journeys (status) WHERE status = 'published';

    CREATE TABLE journey_versions (
      workspace_id text NOT NULL,
      journey_id text NOT NULL,
      version int NOT NULL,
      definition jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      PRIMARY KEY (workspace_id, journey_id, version),
      FOREIGN KEY (workspace_id, journey_id) REFERENCES journeys(workspace_id, id) ON DELETE CASCADE
    );

    CREATE TABLE journey_entries (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      journey_id text NOT NULL,
      version int NOT NULL,
      profile_id bigint NOT NULL,
      node_id text NOT NULL,
      status text NOT NULL DEFAULT 'active',
      due_at timestamptz NOT NULL,
      node_since timestamptz NOT NULL DEFAULT now(),
      arrived boolean NOT NULL DEFAULT false,
      wait_event text,
      matched_event jsonb,
      trigger jsonb NOT NULL DEFAULT '{}',
      converted boolean NOT NULL DEFAULT false,
      exit_reason text,
      entered_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX journey_entries_due ON journey_entries (due_at) WHERE status = 'active';
    CREATE INDEX journey_entries_profile ON journey_entries (workspace_id, profile_id, journey_id);
    CREATE INDEX journey_entries_waiting ON journey_entries (workspace_id, profile_id, wait_event) WHERE status = 'active' AND wait_event IS NOT NULL;
    CREATE INDEX journey_entries_journey ON journey_entries (workspace_id, journey_id, status, node_id);

    CREATE TABLE journey_steps (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      entry_id bigint NOT NULL,
      journey_id text NOT NULL,
      version int NOT NULL,
      profile_id bigint NOT NULL,
      node_id text,
      outcome text NOT NULL,
      detail jsonb,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX journey_steps_entry ON journey_steps (workspace_id, entry_id, id);
    CREATE INDEX journey_steps_profile ON journey_steps (workspace_id, profile_id, id);
    CREATE INDEX journey_steps_node ON journey_steps (workspace_id, journey_id, node_id);

    CREATE TABLE journey_outbox (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      idempotency_key text NOT NULL,
      entry_id bigint NOT NULL,
      journey_id text NOT NULL,
      version int NOT NULL,
      profile_id bigint NOT NULL,
      node_id text NOT NULL,
      kind text NOT NULL,
      channel text,
      marketing boolean NOT NULL DEFAULT false,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'pending',
      attempts int NOT NULL DEFAULT 0,
      due_at timestamptz NOT NULL DEFAULT now(),
      lease_until timestamptz,
      result jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, idempotency_key)
    );
    CREATE INDEX journey_outbox_due ON journey_outbox (due_at) WHERE status IN ('pending', 'in_flight');
    CREATE INDEX journey_outbox_cap ON journey_outbox (workspace_id, profile_id, channel, created_at) WHERE kind = 'send' AND marketing;

    CREATE TABLE journey_cursors (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      source text NOT NULL,
      last_id bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, source)
    );

    CREATE TABLE journey_schedule_runs (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      journey_id text NOT NULL,
      fire_key text NOT NULL,
      entered int NOT NULL DEFAULT 0,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, journey_id, fire_key)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE journey_schedule_runs, journey_cursors, journey_outbox, journey_steps, journey_entries, journey_versions, journeys`.execute(db);
}
