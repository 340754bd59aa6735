import { sql } from 'kysely';
import type { RemapHandler } from '../../platform/hooks.js';
import { rowsOfOrigin } from '../tags/index.js';

/**
 * Merge / unmerge: static memberships follow their origin profile; rule memberships too, and the profiles involved
 * are queued so the real-time evaluator re-decides them on the merged (or split) histories.
 */
export const remapSegmentMembers: RemapHandler = async (trx, workspaceId, remaps) => {
  for (const { from, to } of remaps) {
    const { rows } = await sql<{ profile_id: number }>`
      SELECT DISTINCT profile_id FROM segment_members WHERE workspace_id = ${workspaceId} AND ${rowsOfOrigin(from)}`.execute(trx);
    await sql`UPDATE segment_members SET profile_id = ${to} WHERE workspace_id = ${workspaceId} AND ${rowsOfOrigin(from)} AND profile_id <> ${to}`.execute(trx);
    const touched = [...new Set([to, from, ...rows.map((r) => r.profile_id)])];
    await sql`INSERT INTO profile_changes (workspace_id, profile_id) SELECT ${workspaceId}, id FROM unnest(${touched}::bigint[]) AS id
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(trx);
  }
};

/** Privacy erasure / operator delete: every rules-tier row of the profiles goes (tags, segments, stage, RFM). */
export const deleteRulesTierRows = async (trx: Parameters<RemapHandler>[0], workspaceId: string, profileIds: number[]): Promise<void> => {
  if (profileIds.length === 0) return;
  for (const table of ['tag_assignments', 'tag_history', 'segment_members', 'profile_lifecycle', 'lifecycle_history', 'profile_rfm'] as const) {
    await trx.deleteFrom(table).where('workspace_id', '=', workspaceId).where('profile_id', 'in', profileIds).execute();
  }
};
