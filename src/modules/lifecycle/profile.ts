import { sql, type Kysely } from 'kysely';
import type { RemapHandler } from '../../platform/hooks.js';
import type { DB } from '../../platform/db/schema.js';
import { RFM_CLASS_LABELS } from './schema.js';

/** A profile's AIPL stage with its history, and its RFM scores and class. */
export async function profileLifecycle(db: Kysely<DB>, workspaceId: string, profileId: number) {
  const [stage, history, rfm] = await Promise.all([
    db.selectFrom('profile_lifecycle').select(['stage', 'since']).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).executeTakeFirst(),
    db
      .selectFrom('lifecycle_history')
      .select(['from_stage', 'to_stage', 'at'])
      .where('workspace_id', '=', workspaceId)
      .where('profile_id', '=', profileId)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(200)
      .execute(),
    db.selectFrom('profile_rfm').selectAll().where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).executeTakeFirst(),
  ]);
  return {
    stage: stage?.stage ?? null,
    since: stage?.since ?? null,
    history: history.map((h) => ({ from: h.from_stage, to: h.to_stage, at: h.at })),
    rfm: rfm
      ? {
          recencyDays: rfm.recency_days,
          frequency: rfm.frequency,
          monetary: rfm.monetary,
          rScore: rfm.r_score,
          fScore: rfm.f_score,
          mScore: rfm.m_score,
          class8: rfm.class8,
          classLabel: RFM_CLASS_LABELS[rfm.class8 as keyof typeof RFM_CLASS_LABELS] ?? rfm.class8,
          computedAt: rfm.computed_at,
        }
      : null,
  };
}

/**
 * Stage history written for `origin`: rows still at it, through lifecycle_history_profile, and rows a merge moved,
 * through lifecycle_history_origin, which holds only moved rows (migration 0127). As `origin_profile_id = origin`
 * alone the remap read the workspace's whole stage history on every merge (test/lifecycle/remap-plans.test.ts).
 */
function historyOfOrigin(origin: number) {
  return sql<boolean>`((profile_id = ${origin} AND origin_profile_id = ${origin}) OR (origin_profile_id = ${origin} AND origin_profile_id <> profile_id))`;
}

/**
 * Merge / unmerge: stage history follows its origin profile; the current stage and RFM are derived, so the
 * absorbed profile's rows go and the profiles involved are queued for re-evaluation (RFM waits for the daily pass).
 */
export const remapLifecycleRows: RemapHandler = async (trx, workspaceId, remaps) => {
  for (const { from, to } of remaps) {
    await sql`UPDATE lifecycle_history SET profile_id = ${to} WHERE workspace_id = ${workspaceId} AND ${historyOfOrigin(from)} AND profile_id <> ${to}`.execute(trx);
    if (from !== to) {
      await trx.deleteFrom('profile_lifecycle').where('workspace_id', '=', workspaceId).where('profile_id', '=', from).execute();
      await trx.deleteFrom('profile_rfm').where('workspace_id', '=', workspaceId).where('profile_id', '=', from).execute();
    }
    await sql`INSERT INTO profile_changes (workspace_id, profile_id) SELECT DISTINCT ${workspaceId}, id FROM unnest(${[from, to]}::bigint[]) AS id
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(trx);
  }
};
