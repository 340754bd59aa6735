import { sql } from 'kysely';
import type { RemapHandler } from '../../platform/hooks.js';

/**
 * Merge / unmerge: tag rows (assignments and history) follow the profile they were written for (origin). Rule
 * tags are then re-decided for every profile involved by the real-time evaluator, so they reflect both histories.
 */
export const remapTagRows: RemapHandler = async (trx, workspaceId, remaps) => {
  for (const { from, to } of remaps) {
    const { rows } = await sql<{ profile_id: number }>`
      SELECT DISTINCT profile_id FROM tag_assignments WHERE workspace_id = ${workspaceId} AND ${rowsOfOrigin(from)}`.execute(trx);
    await sql`UPDATE tag_assignments SET profile_id = ${to} WHERE workspace_id = ${workspaceId} AND ${rowsOfOrigin(from)} AND profile_id <> ${to}`.execute(trx);
    await sql`UPDATE tag_history SET profile_id = ${to} WHERE workspace_id = ${workspaceId} AND ${rowsOfOrigin(from)} AND profile_id <> ${to}`.execute(trx);
    const touched = [...new Set([to, from, ...rows.map((r) => r.profile_id)])];
    await sql`INSERT INTO profile_changes (workspace_id, profile_id) SELECT ${workspaceId}, id FROM unnest(${touched}::bigint[]) AS id
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(trx);
  }
};

/**
 * Rows written for `origin`: those still at it, through the profile's index, and those a merge moved, through the
 * origin index, which holds only moved rows (migration 0125).
 */
export function rowsOfOrigin(origin: number) {
  return sql<boolean>`((profile_id = ${origin} AND origin_profile_id = ${origin}) OR (origin_profile_id = ${origin} AND origin_profile_id <> profile_id))`;
}
