import { sql, type Kysely } from 'kysely';

/**
 * Stage history's origin index, as tags and segments have (migration 0125): only rows a merge moved away from the
 * profile they were written for (origin ≠ profile). A row still at its origin is found by lifecycle_history_profile,
 * so the merge / unmerge remap (lifecycle/profile.ts) looks rows up by origin in two parts; without it the remap read
 * the workspace's whole stage history in the OneID settle transaction of every merge (19,600 rows on the demo brand).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX lifecycle_history_origin ON lifecycle_history (workspace_id, origin_profile_id) WHERE origin_profile_id <> profile_id`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX lifecycle_history_origin`.execute(db);
}
