import { sql, type Kysely } from 'kysely';

/** Members, tiers, member tokens, check-in and the points mall. Per-profile rows keep their origin profile. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE member_tiers (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      name text NOT NULL,
      rank int NOT NULL,
      threshold numeric(14, 2) NOT NULL DEFAULT 0,
      benefits jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id),
      UNIQUE (workspace_id, rank)
    );

    CREATE TABLE member_numbers (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      next_value bigint NOT NULL,
      PRIMARY KEY (workspace_id)
    );

    CREATE TABLE members (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      origin_profile_id bigint NOT NULL,
      profile_id bigint NOT NULL,
      member_no text NOT NULL,
      join_channel text,
      store_id text,
      joined_at timestamptz NOT NULL DEFAULT now(),
      tier_id text,
      tier_since timestamptz,
      below_since timestamptz,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
      PRIMARY KEY (workspace_id, origin_profile_id),
      UNIQUE (workspace_id, member_no)
    );
    CREATE INDEX members_profile ON members (workspace_id, profile_id);
    CREATE INDEX members_tier ON members (workspace_id, tier_id);

    CREATE TABLE tier_history (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      from_tier text,
      to_tier text,
      reason text NOT NULL,
      qualifying numeric(14, 2),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX tier_history_profile ON tier_history (workspace_id, profile_id, id);
    CREATE INDEX tier_history_origin ON tier_history (workspace_id, origin_profile_id);
    CREATE INDEX tier_history_time ON tier_history (workspace_id, created_at);

    CREATE TABLE member_tokens (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      token_hash text NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      PRIMARY KEY (workspace_id, token_hash)
    );
    CREATE UNIQUE INDEX member_tokens_hash ON member_tokens (token_hash);
    CREATE INDEX member_tokens_origin ON member_tokens (workspace_id, origin_profile_id);

    CREATE TABLE checkins (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      origin_profile_id bigint NOT NULL,
      day date NOT NULL,
      profile_id bigint NOT NULL,
      streak int NOT NULL,
      points int NOT NULL DEFAULT 0,
      make_up boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, origin_profile_id, day)
    );
    CREATE INDEX checkins_profile ON checkins (workspace_id, profile_id, day);

    CREATE TABLE mall_items (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('coupon', 'goods')),
      template_id text,
      sku text,
      points_price int NOT NULL CHECK (points_price > 0),
      stock int,
      exchanged int NOT NULL DEFAULT 0,
      per_member_limit int,
      tiers text[] NOT NULL DEFAULT '{}',
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id),
      CHECK (stock IS NULL OR exchanged <= stock)
    );

    CREATE TABLE mall_exchanges (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      item_id text NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      quantity int NOT NULL,
      points bigint NOT NULL,
      entry_id bigint,
      coupon_ids bigint[] NOT NULL DEFAULT '{}',
      idempotency_key text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE UNIQUE INDEX mall_exchanges_key ON mall_exchanges (workspace_id, idempotency_key);
    CREATE INDEX mall_exchanges_profile ON mall_exchanges (workspace_id, profile_id, item_id);
    CREATE INDEX mall_exchanges_origin ON mall_exchanges (workspace_id, origin_profile_id);
  `.execute(db);
}
