import { sql, type Kysely } from 'kysely';

/**
 * Rules tier: tags (groups, assignments, history), segments (definitions, materialised members), AIPL lifecycle and
 * RFM (derived per-profile state, history and daily counts). Per-profile rows keep `origin_profile_id` (the profile
 * they were written for) so merges move them and unmerges split them back.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A date trait as 'YYYY-MM-DD', or NULL when the JSON value is not a valid date (never an error mid-query).
    CREATE FUNCTION rules_trait_date(v jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE s text;
    BEGIN
      IF v IS NULL OR jsonb_typeof(v) <> 'string' THEN RETURN NULL; END IF;
      s := left(v #>> '{}', 10);
      IF s !~ '^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$' THEN RETURN NULL; END IF;
      IF to_char(s::date, 'YYYY-MM-DD') <> s THEN RETURN NULL; END IF;
      RETURN s;
    EXCEPTION WHEN others THEN RETURN NULL;
    END $$;

    CREATE TABLE tag_groups (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      name text NOT NULL,
      category text NOT NULL CHECK (category IN ('basic', 'consumption', 'preference', 'social', 'activity', 'custom')),
      description text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );

    CREATE TABLE tags (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      group_id text NOT NULL,
      name text NOT NULL,
      description text,
      kind text NOT NULL CHECK (kind IN ('manual', 'rule')),
      rule jsonb,
      rule_value text NOT NULL DEFAULT '',
      archived_at timestamptz,
      merged_into text,
      computed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id),
      FOREIGN KEY (workspace_id, group_id) REFERENCES tag_groups (workspace_id, id)
    );
    CREATE UNIQUE INDEX tags_live_name ON tags (workspace_id, group_id, name) WHERE archived_at IS NULL AND merged_into IS NULL;

    CREATE TABLE tag_assignments (
      workspace_id text NOT NULL,
      tag_id text NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      value text NOT NULL DEFAULT '',
      source text NOT NULL CHECK (source IN ('manual', 'rule', 'import', 'journey')),
      actor text,
      assigned_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, tag_id, profile_id, origin_profile_id),
      FOREIGN KEY (workspace_id, tag_id) REFERENCES tags (workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX tag_assignments_profile ON tag_assignments (workspace_id, profile_id);
    CREATE INDEX tag_assignments_origin ON tag_assignments (workspace_id, origin_profile_id);

    CREATE TABLE tag_history (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      tag_id text NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      action text NOT NULL CHECK (action IN ('apply', 'remove')),
      value text NOT NULL DEFAULT '',
      cause text NOT NULL CHECK (cause IN ('manual', 'rule', 'import', 'journey', 'merge', 'archive')),
      actor text,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX tag_history_profile ON tag_history (workspace_id, profile_id, at);
    CREATE INDEX tag_history_origin ON tag_history (workspace_id, origin_profile_id);

    CREATE TABLE segments (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      name text NOT NULL,
      description text,
      kind text NOT NULL CHECK (kind IN ('rule', 'static')),
      rule jsonb,
      size int NOT NULL DEFAULT 0,
      computed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    );

    CREATE TABLE segment_members (
      workspace_id text NOT NULL,
      segment_id text NOT NULL,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      entered_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, segment_id, profile_id, origin_profile_id),
      FOREIGN KEY (workspace_id, segment_id) REFERENCES segments (workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX segment_members_profile ON segment_members (workspace_id, profile_id);
    CREATE INDEX segment_members_origin ON segment_members (workspace_id, origin_profile_id);

    CREATE TABLE lifecycle_settings (
      workspace_id text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
      aipl jsonb NOT NULL,
      rfm jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE profile_lifecycle (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      profile_id bigint NOT NULL,
      stage text NOT NULL CHECK (stage IN ('A', 'I', 'P', 'L')),
      since timestamptz NOT NULL,
      PRIMARY KEY (workspace_id, profile_id)
    );
    CREATE INDEX profile_lifecycle_stage ON profile_lifecycle (workspace_id, stage);

    CREATE TABLE lifecycle_history (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id bigint GENERATED ALWAYS AS IDENTITY,
      profile_id bigint NOT NULL,
      origin_profile_id bigint NOT NULL,
      from_stage text,
      to_stage text,
      at timestamptz NOT NULL,
      PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX lifecycle_history_profile ON lifecycle_history (workspace_id, profile_id, at);
    CREATE INDEX lifecycle_history_at ON lifecycle_history (workspace_id, at);

    CREATE TABLE lifecycle_daily (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      day date NOT NULL,
      stage text NOT NULL,
      profiles int NOT NULL,
      PRIMARY KEY (workspace_id, day, stage)
    );

    CREATE TABLE profile_rfm (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      profile_id bigint NOT NULL,
      recency_days int NOT NULL,
      frequency int NOT NULL,
      monetary numeric(16, 2) NOT NULL,
      r_score smallint NOT NULL,
      f_score smallint NOT NULL,
      m_score smallint NOT NULL,
      class8 text NOT NULL,
      computed_at timestamptz NOT NULL,
      PRIMARY KEY (workspace_id, profile_id)
    );
    CREATE INDEX profile_rfm_class ON profile_rfm (workspace_id, class8);
  `.execute(db);
}
