import { sql, type Kysely } from 'kysely';

/**
 * The console overview's daily roll-up (src/modules/analytics/rollup.ts): closed days' new members, orders, GMV and
 * events per workspace-local day, computed once per day; today's figures stay live. The indexes let the live part
 * read only today's orders and member identifiers instead of every row of the workspace.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE overview_daily (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      day date NOT NULL,
      new_members int NOT NULL,
      orders int NOT NULL,
      gmv numeric(16, 2) NOT NULL,
      events int NOT NULL,
      PRIMARY KEY (workspace_id, day)
    );
    CREATE TABLE overview_rollups (
      workspace_id text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
      timezone text NOT NULL,
      today date NOT NULL,
      from_day date NOT NULL,
      events_watermark bigint NOT NULL,
      events_today int NOT NULL,
      computed_at timestamptz NOT NULL DEFAULT now()
    );
    COMMENT ON COLUMN overview_rollups.today IS 'the workspace-local day it was computed on: overview_daily holds the days before it';
    COMMENT ON COLUMN overview_rollups.events_watermark IS 'max(events.id) when computed: later events of today are counted live';
    COMMENT ON COLUMN overview_rollups.events_today IS 'events of today (and later days) with id <= events_watermark';
    CREATE INDEX orders_ordered_at ON orders (workspace_id, ordered_at);
    CREATE INDEX identifiers_type_first_seen ON identifiers (workspace_id, type, first_seen_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX identifiers_type_first_seen;
    DROP INDEX orders_ordered_at;
    DROP TABLE overview_rollups;
    DROP TABLE overview_daily;
  `.execute(db);
}
