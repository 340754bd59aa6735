import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { credit, lockAccount } from './ledger.js';
import { expiryFor, getLoyaltySettings } from './settings.js';
import { localDay, workspaceZone } from './local-dates.js';
import { applyTierChange } from './members.js';

/**
 * Fixed points for events (review, share, referral, profile completion…) per the workspace's event rules, with
 * caps per day and in total. Counting and crediting happen under the account lock, so parallel events of one
 * profile cannot both pass a cap; the idempotency key (e.g. the event's messageId) makes a replay a no-op.
 */
export async function awardEventPoints(
  db: Db,
  workspaceId: string,
  input: { profileId: number; event: string; idempotencyKey: string; at?: Date },
): Promise<{ awarded: number; ruleId: string | null; reason: 'awarded' | 'replayed' | 'no_rule' | 'daily_cap' | 'total_cap' }> {
  const settings = await getLoyaltySettings(db, workspaceId);
  const rule = settings.eventRules.find((r) => r.event === input.event);
  if (!rule) return { awarded: 0, ruleId: null, reason: 'no_rule' };
  const at = input.at ?? new Date();
  const zone = await workspaceZone(db, workspaceId);
  const day = localDay(at, zone); // daily caps count the workspace's days, not UTC ones
  const result = await db.transaction().execute(async (trx) => {
    await lockAccount(trx, workspaceId, input.profileId);
    const seen = await trx.selectFrom('points_entries').select('id').where('workspace_id', '=', workspaceId).where('idempotency_key', '=', input.idempotencyKey).executeTakeFirst();
    if (seen) return { awarded: 0, ruleId: rule.id, reason: 'replayed' as const };
    if (rule.totalTimes) {
      const { rows } = await sql<{ n: number }>`SELECT coalesce(sum(times), 0)::int AS n FROM points_rule_usage
        WHERE workspace_id = ${workspaceId} AND profile_id = ${input.profileId} AND rule_id = ${rule.id}`.execute(trx);
      if (Number(rows[0]?.n ?? 0) >= rule.totalTimes) return { awarded: 0, ruleId: rule.id, reason: 'total_cap' as const };
    }
    const usage = await trx
      .insertInto('points_rule_usage')
      .values({ workspace_id: workspaceId, profile_id: input.profileId, rule_id: rule.id, day, times: 1, points: rule.points })
      .onConflict((oc) => {
        const update = oc.columns(['workspace_id', 'profile_id', 'rule_id', 'day']).doUpdateSet({
          times: sql`points_rule_usage.times + 1`,
          points: sql`points_rule_usage.points + ${rule.points}`,
        });
        return rule.dailyTimes ? update.where('points_rule_usage.times', '<', rule.dailyTimes) : update;
      })
      .returning('times')
      .executeTakeFirst();
    if (!usage) return { awarded: 0, ruleId: rule.id, reason: 'daily_cap' as const };
    await credit(trx, workspaceId, {
      profileId: input.profileId,
      points: rule.points,
      kind: 'earn',
      reason: `event ${input.event}`,
      sourceType: 'event',
      sourceId: rule.id,
      idempotencyKey: input.idempotencyKey,
      expiresAt: expiryFor(settings, at, zone),
    });
    return { awarded: rule.points, ruleId: rule.id, reason: 'awarded' as const };
  });
  if (result.awarded > 0 && settings.tiers.basis === 'points') await applyTierChange(db, workspaceId, input.profileId);
  return result;
}
