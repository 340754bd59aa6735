import { sql, type Kysely } from 'kysely';

/**
 * The data center: OneID facts (identifiers, links, separations) and derived state (profiles, each identifier's
 * profile), events and orders. Large tables are keyed by workspace first so a tenant never scans another's rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE SEQUENCE profile_id_seq;

    -- Newest value per trait wins: a trait in 'incoming' replaces the held one unless the held one is newer.
    CREATE FUNCTION siyu_newer_traits(cur jsonb, cur_times jsonb, incoming jsonb, incoming_times jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(cur, '{}'::jsonb) || coalesce((
        SELECT jsonb_object_agg(k, incoming -> k) FROM jsonb_object_keys(incoming) AS k
        WHERE cur_times ->> k IS NULL OR (incoming_times ->> k)::timestamptz >= (cur_times ->> k)::timestamptz
      ), '{}'::jsonb)
    $$;
    CREATE FUNCTION siyu_newer_trait_times(cur_times jsonb, incoming_times jsonb) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
      SELECT coalesce(cur_times, '{}'::jsonb) || coalesce((
        SELECT jsonb_object_agg(k, incoming_times -> k) FROM jsonb_object_keys(incoming_times) AS k
        WHERE cur_times ->> k IS NULL OR (incoming_times ->> k)::timestamptz >= (cur_times ->> k)::timestamptz
      ), '{}'::jsonb)
    $$;

    CREATE TABLE profiles (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint NOT NULL,
      merged_into bigint,
      traits jsonb NOT NULL DEFAULT '{}',
      trait_times jsonb NOT NULL DEFAULT '{}',
      first_seen_at timestamptz,
      last_seen_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX profiles_live ON profiles (workspace_id, last_seen_at DESC) WHERE merged_into IS NULL;

    CREATE TABLE identifier_settings (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      type text NOT NULL,
      priority int NOT NULL,
      max_per_profile int,
      PRIMARY KEY (workspace_id, type)
    );

    CREATE TABLE identifiers (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      type text NOT NULL,
      value text NOT NULL,
      profile_id bigint,
      origin_profile_id bigint,
      first_seen_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id),
      UNIQUE (workspace_id, type, value)
    );
    CREATE INDEX identifiers_profile ON identifiers (workspace_id, profile_id);

    -- Facts: the earliest evidence (event time, then message id) that two identifiers belong to one person.
    CREATE TABLE identity_links (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      a bigint NOT NULL,
      b bigint NOT NULL,
      event_time timestamptz NOT NULL,
      message_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, a, b),
      CHECK (a < b)
    );
    CREATE INDEX identity_links_b ON identity_links (workspace_id, b);

    -- Facts: an operator's unmerge: identifiers on the left never join identifiers on the right.
    CREATE TABLE identity_separations (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      left_ids bigint[] NOT NULL,
      right_ids bigint[] NOT NULL,
      reason text NOT NULL,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );

    -- Links refused because joining would break a limit (two member numbers, two phones) or a separation.
    CREATE TABLE identity_conflicts (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      a bigint NOT NULL,
      b bigint NOT NULL,
      reason text NOT NULL,
      message_id text NOT NULL,
      event_time timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, a, b)
    );

    -- Identifiers whose component must be recomputed; written in the ingest transaction, so no merge is lost.
    CREATE TABLE identity_pending (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      identifier_id bigint NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, identifier_id)
    );

    -- Profiles whose data changed (events, orders, traits, identity): the rules tier re-evaluates them. One row per
    -- profile however many changes, written in the same transaction as the change, so none is missed.
    CREATE TABLE profile_changes (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      profile_id bigint NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, profile_id)
    );

    CREATE TABLE profile_merges (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      kind text NOT NULL CHECK (kind IN ('merge', 'unmerge')),
      profile_id bigint NOT NULL,
      other_profile_id bigint NOT NULL,
      identifier_ids bigint[] NOT NULL,
      reason text NOT NULL,
      message_id text,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      undone_at timestamptz,
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX profile_merges_profile ON profile_merges (workspace_id, profile_id);
    CREATE INDEX profile_merges_other ON profile_merges (workspace_id, other_profile_id);

    CREATE TABLE events (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      message_id text NOT NULL,
      type text NOT NULL,
      event text,
      identifier_id bigint NOT NULL,
      profile_id bigint,
      user_id text,
      anonymous_id text,
      "timestamp" timestamptz NOT NULL,
      received_at timestamptz NOT NULL,
      properties jsonb,
      traits jsonb,
      context jsonb,
      PRIMARY KEY (workspace_id, id)
    );
    CREATE UNIQUE INDEX events_message ON events (workspace_id, message_id);
    CREATE INDEX events_profile_time ON events (workspace_id, profile_id, "timestamp");
    CREATE INDEX events_identifier ON events (workspace_id, identifier_id);
    CREATE INDEX events_name_time ON events (workspace_id, event, "timestamp");

    CREATE TABLE stores (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      name text NOT NULL,
      city text,
      address text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE TABLE guides (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      store_id text,
      name text NOT NULL,
      wecom_user_id text,
      phone text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );

    CREATE TABLE orders (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      order_id text NOT NULL,
      identifier_id bigint NOT NULL,
      profile_id bigint,
      store_id text,
      guide_id text,
      channel text,
      status text NOT NULL CHECK (status IN ('pending', 'paid', 'partially_refunded', 'refunded', 'cancelled')),
      currency text NOT NULL DEFAULT 'CNY',
      total_amount numeric(14, 2) NOT NULL,
      discount_amount numeric(14, 2) NOT NULL DEFAULT 0,
      shipping_amount numeric(14, 2) NOT NULL DEFAULT 0,
      paid_amount numeric(14, 2) NOT NULL,
      refunded_amount numeric(14, 2) NOT NULL DEFAULT 0,
      ordered_at timestamptz NOT NULL,
      paid_at timestamptz,
      refunded_at timestamptz,
      cancelled_at timestamptz,
      properties jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, order_id)
    );
    CREATE INDEX orders_profile_time ON orders (workspace_id, profile_id, ordered_at);
    CREATE INDEX orders_identifier ON orders (workspace_id, identifier_id);

    -- Refunds are facts with their own id, so a retried refund applies once; the order keeps their sum.
    CREATE TABLE order_refunds (
      workspace_id text NOT NULL,
      order_id text NOT NULL,
      refund_id text NOT NULL,
      amount numeric(14, 2) NOT NULL CHECK (amount > 0),
      items jsonb,
      refunded_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, order_id, refund_id),
      FOREIGN KEY (workspace_id, order_id) REFERENCES orders (workspace_id, order_id) ON DELETE CASCADE
    );

    CREATE TABLE order_items (
      workspace_id text NOT NULL,
      order_id text NOT NULL,
      line int NOT NULL,
      sku text NOT NULL,
      name text,
      category text,
      quantity int NOT NULL,
      price numeric(14, 2) NOT NULL,
      refunded_quantity int NOT NULL DEFAULT 0,
      PRIMARY KEY (workspace_id, order_id, line),
      FOREIGN KEY (workspace_id, order_id) REFERENCES orders (workspace_id, order_id) ON DELETE CASCADE
    );
    CREATE INDEX order_items_sku ON order_items (workspace_id, sku);
    CREATE INDEX order_items_category ON order_items (workspace_id, category);
  `.execute(db);
}
