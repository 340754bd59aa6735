import { sql, type Kysely } from 'kysely';

/**
 * Coupons as stock: a template's `issued_count` is raised by a conditional UPDATE (never past `total_stock`), and a
 * member's holdings by a conditional upsert (never past the per-member limit), both in the issuing transaction.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE coupon_templates (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('fixed', 'percentage', 'threshold', 'shipping', 'gift')),
      amount numeric(14, 2) NOT NULL DEFAULT 0,
      percent_off numeric(5, 2) NOT NULL DEFAULT 0,
      max_discount numeric(14, 2),
      threshold numeric(14, 2) NOT NULL DEFAULT 0,
      gift_sku text,
      scope jsonb NOT NULL DEFAULT '{}',
      valid_from timestamptz,
      valid_until timestamptz,
      valid_days int,
      total_stock int,
      issued_count int NOT NULL DEFAULT 0,
      per_member_limit int,
      stacking text NOT NULL DEFAULT 'exclusive' CHECK (stacking IN ('exclusive', 'combinable')),
      combinable_with text[] NOT NULL DEFAULT '{}',
      tiers text[] NOT NULL DEFAULT '{}',
      code_mode text NOT NULL DEFAULT 'unique' CHECK (code_mode IN ('unique', 'shared')),
      shared_code text,
      return_on_refund boolean NOT NULL DEFAULT false,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'archived')),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id),
      CHECK (total_stock IS NULL OR issued_count <= total_stock)
    );
    CREATE UNIQUE INDEX coupon_templates_shared_code ON coupon_templates (workspace_id, shared_code) WHERE shared_code IS NOT NULL;

    CREATE TABLE coupons (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      code text NOT NULL,
      shared boolean NOT NULL DEFAULT false,
      template_id text NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      status text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'redeemed', 'expired', 'voided')),
      source text NOT NULL,
      source_id text,
      idempotency_key text,
      issued_at timestamptz NOT NULL DEFAULT now(),
      valid_from timestamptz,
      valid_until timestamptz,
      redeemed_at timestamptz,
      order_id text,
      discount_amount numeric(14, 2),
      order_amount numeric(14, 2),
      returned_at timestamptz,
      voided_at timestamptz,
      PRIMARY KEY (workspace_id, id),
      FOREIGN KEY (workspace_id, template_id) REFERENCES coupon_templates (workspace_id, id)
    );
    CREATE UNIQUE INDEX coupons_code ON coupons (workspace_id, code) WHERE NOT shared;
    CREATE UNIQUE INDEX coupons_key ON coupons (workspace_id, idempotency_key);
    CREATE INDEX coupons_profile ON coupons (workspace_id, profile_id, status);
    CREATE INDEX coupons_origin ON coupons (workspace_id, origin_profile_id);
    CREATE INDEX coupons_template ON coupons (workspace_id, template_id, status);
    CREATE INDEX coupons_order ON coupons (workspace_id, order_id) WHERE order_id IS NOT NULL;
    CREATE INDEX coupons_expiring ON coupons (workspace_id, valid_until) WHERE status = 'issued';

    CREATE TABLE coupon_holdings (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      template_id text NOT NULL,
      profile_id bigint NOT NULL,
      count int NOT NULL,
      PRIMARY KEY (workspace_id, template_id, profile_id)
    );

    CREATE TABLE coupon_campaigns (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      template_id text NOT NULL,
      segment_id text,
      profile_ids bigint[],
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
      total int,
      processed int NOT NULL DEFAULT 0,
      issued int NOT NULL DEFAULT 0,
      skipped int NOT NULL DEFAULT 0,
      cursor bigint NOT NULL DEFAULT 0,
      error text,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      PRIMARY KEY (workspace_id, id)
    );
  `.execute(db);
}
