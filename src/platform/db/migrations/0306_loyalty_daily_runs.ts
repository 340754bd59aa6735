import { sql, type Kysely } from 'kysely';

/**
 * The loyalty worker's daily work (tier evaluation, expiring-points notices, birthday gifts), claimed per workspace
 * and local day (loyalty/daily.ts). Before, the worker kept the last UTC day it ran in memory: a Shanghai brand's day
 * began at 08:00 there, and every serving process (and every restart) ran the work again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE loyalty_daily_runs (
      workspace_id text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
      day text NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'done')),
      lease_until timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE loyalty_daily_runs`.execute(db);
}
