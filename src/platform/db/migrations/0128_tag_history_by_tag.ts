import { sql, type Kysely } from 'kysely';

/**
 * A tag's history, newest first (GET /api/v1/tags/:id/history, the console's tag page). Without it a page read the
 * workspace's whole tag history and sorted it: 94 ms at 94,000 entries for two tags (bench/scale-audit-routes.sh).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX tag_history_tag ON tag_history (workspace_id, tag_id, at, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX tag_history_tag`.execute(db);
}
