import { sql, type Kysely } from 'kysely';

/**
 * Channels: per-workspace provider configurations (credentials sealed with AES-256-GCM), provider access tokens
 * (WeChat / WeCom, shared by every process), every send attempt keyed by its idempotency key, inbound callback
 * de-duplication, and per-channel unsubscribes (suppressions).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE channel_configs (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      channel text NOT NULL,
      provider text NOT NULL,
      name text NOT NULL,
      settings jsonb NOT NULL DEFAULT '{}',
      sealed_secrets text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );

    CREATE TABLE channel_access_tokens (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      provider text NOT NULL,
      app_id text NOT NULL,
      sealed_token text,
      expires_at timestamptz,
      refreshed_at timestamptz,
      PRIMARY KEY (workspace_id, provider, app_id)
    );

    CREATE TABLE channel_deliveries (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      idempotency_key text NOT NULL,
      channel_config_id text NOT NULL,
      channel text NOT NULL,
      recipient text NOT NULL,
      profile_id bigint,
      status text NOT NULL CHECK (status IN ('sending', 'sent', 'delivered', 'failed')),
      attempts int NOT NULL DEFAULT 0,
      provider_message_id text,
      error_kind text,
      error_code text,
      error_message text,
      context jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id),
      UNIQUE (workspace_id, idempotency_key)
    );
    CREATE INDEX channel_deliveries_provider_id ON channel_deliveries (workspace_id, channel, provider_message_id);
    CREATE INDEX channel_deliveries_profile ON channel_deliveries (workspace_id, profile_id, created_at DESC);

    CREATE TABLE channel_inbound_seen (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      channel_config_id text NOT NULL,
      dedup_key text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, channel_config_id, dedup_key)
    );

    CREATE TABLE channel_unsubscribes (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      channel text NOT NULL,
      address text NOT NULL,
      delivery_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, channel, address)
    );
  `.execute(db);
}
