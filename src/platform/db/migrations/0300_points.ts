import { sql, type Kysely } from 'kysely';

/**
 * Loyalty points as a ledger. `points_entries` is append-only: the balance is the sum of `points`, the debt the sum
 * of `debt_delta`. `points_lots` track what is left of each credit for FIFO consumption and expiry (bookkeeping
 * beside the ledger: their remaining points always add up to the balance). `points_accounts` is a cache of those
 * sums and the row every writer locks, so concurrent redemptions of one profile serialise on it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE loyalty_settings (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      settings jsonb NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id)
    );

    CREATE TABLE points_accounts (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      profile_id bigint NOT NULL,
      balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
      debt bigint NOT NULL DEFAULT 0 CHECK (debt >= 0),
      pending bigint NOT NULL DEFAULT 0 CHECK (pending >= 0),
      lifetime_earned bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, profile_id)
    );

    CREATE TABLE points_entries (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      kind text NOT NULL CHECK (kind IN ('earn', 'redeem', 'expire', 'adjust', 'reverse')),
      points bigint NOT NULL,
      debt_delta bigint NOT NULL DEFAULT 0,
      reason text NOT NULL,
      source_type text NOT NULL CHECK (source_type IN ('order', 'event', 'journey', 'operator', 'checkin', 'mall', 'system')),
      source_id text,
      idempotency_key text,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE UNIQUE INDEX points_entries_key ON points_entries (workspace_id, idempotency_key);
    CREATE INDEX points_entries_profile ON points_entries (workspace_id, profile_id, id);
    CREATE INDEX points_entries_origin ON points_entries (workspace_id, origin_profile_id);
    CREATE INDEX points_entries_source ON points_entries (workspace_id, source_type, source_id);
    CREATE INDEX points_entries_time ON points_entries (workspace_id, created_at);

    CREATE TABLE points_lots (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      entry_id bigint NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      points bigint NOT NULL CHECK (points > 0),
      remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
      source_type text NOT NULL,
      source_id text,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, entry_id)
    );
    CREATE INDEX points_lots_open ON points_lots (workspace_id, profile_id, expires_at, entry_id) WHERE remaining > 0;
    CREATE INDEX points_lots_origin ON points_lots (workspace_id, origin_profile_id);
    CREATE INDEX points_lots_expiring ON points_lots (workspace_id, expires_at) WHERE remaining > 0;

    -- Credits waiting out a refund window: not spendable yet, so not in the ledger; released by a job.
    CREATE TABLE points_pending (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      points bigint NOT NULL CHECK (points >= 0),
      reason text NOT NULL,
      source_type text NOT NULL,
      source_id text,
      idempotency_key text NOT NULL,
      available_at timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'released', 'cancelled')),
      released_entry_id bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE UNIQUE INDEX points_pending_key ON points_pending (workspace_id, idempotency_key);
    CREATE INDEX points_pending_due ON points_pending (workspace_id, available_at) WHERE status = 'pending';
    CREATE INDEX points_pending_profile ON points_pending (workspace_id, profile_id);
    CREATE INDEX points_pending_origin ON points_pending (workspace_id, origin_profile_id);
    CREATE INDEX points_pending_source ON points_pending (workspace_id, source_type, source_id);

    -- What an order earned: its rate is fixed at payment, so refunds reverse exactly the refunded part.
    CREATE TABLE points_order_grants (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      order_id text NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      rate numeric(14, 4) NOT NULL,
      eligible_amount numeric(14, 2) NOT NULL,
      granted_points bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, order_id)
    );
    CREATE INDEX points_order_grants_origin ON points_order_grants (workspace_id, origin_profile_id);

    -- Times an event rule awarded points to a profile per day, for caps.
    CREATE TABLE points_rule_usage (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      profile_id bigint NOT NULL,
      rule_id text NOT NULL,
      day date NOT NULL,
      times int NOT NULL DEFAULT 0,
      points bigint NOT NULL DEFAULT 0,
      PRIMARY KEY (workspace_id, profile_id, rule_id, day)
    );
  `.execute(db);
}
