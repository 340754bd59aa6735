import { sql, type Kysely } from 'kysely';

/**
 * Console users and their sessions. An email is unique within a workspace; the same person may belong to several
 * workspaces. Passwords are argon2id hashes; session and invitation tokens are random secrets kept as SHA-256.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE users (
      workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
      id text NOT NULL,
      email text NOT NULL,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('owner', 'operator', 'analyst', 'guide')),
      guide_id text,
      password_hash text,
      invite_token_hash text UNIQUE,
      invite_expires_at timestamptz,
      invited_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_sign_in_at timestamptz,
      disabled_at timestamptz,
      PRIMARY KEY (workspace_id, id),
      UNIQUE (workspace_id, email),
      FOREIGN KEY (workspace_id, guide_id) REFERENCES guides (workspace_id, id),
      CHECK (role <> 'guide' OR guide_id IS NOT NULL)
    );
    CREATE INDEX users_email ON users (email);

    CREATE TABLE sessions (
      workspace_id text NOT NULL,
      id text NOT NULL,
      user_id text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      user_agent text,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (workspace_id, id),
      FOREIGN KEY (workspace_id, user_id) REFERENCES users (workspace_id, id) ON DELETE CASCADE
    );
    CREATE INDEX sessions_user ON sessions (workspace_id, user_id);
  `.execute(db);
}
