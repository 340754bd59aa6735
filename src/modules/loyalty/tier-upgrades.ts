import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { TierBenefits } from './benefits.js';
import { touchProfiles } from './changes.js';
import { issueCoupon } from './coupons.js';
import type { LoyaltySettings } from './schema.js';
import { listTiers, periodStart, rankOf, tierFor } from './tiers.js';
import { workspaceZone } from './local-dates.js';

/**
 * `retier` without evaluation (upgrades only) for many profiles at once, after a batch of orders settled: members
 * locked in profile order and their qualifying values read in one statement, upgrades written in three (members,
 * history, change feed), then the one-off coupon of each tier reached (rare, one call each, as applyTierChange).
 * The qualifying window ends at the later of `now` and the database's clock, so the batch's own credits count.
 */
export async function applyTierUpgrades(db: Db, workspaceId: string, profileIds: number[], settings: LoyaltySettings, now: Date): Promise<void> {
  const ids = [...new Set(profileIds)].sort((a, b) => a - b);
  if (ids.length === 0) return;
  const tiers = await listTiers(db, workspaceId);
  if (tiers.length === 0) return;
  const from = periodStart(settings, now, await workspaceZone(db, workspaceId));
  const qualifying =
    settings.tiers.basis === 'points'
      ? sql<number>`(SELECT coalesce(sum(e.points), 0) FROM points_entries e WHERE e.workspace_id = m.workspace_id AND e.profile_id = m.profile_id
          AND e.kind IN ('earn', 'adjust') AND e.created_at >= ${from} AND e.created_at <= greatest(${now}::timestamptz, now()))`
      : sql<number>`(SELECT coalesce(sum(o.paid_amount - o.refunded_amount), 0) FROM orders o WHERE o.workspace_id = m.workspace_id AND o.profile_id = m.profile_id
          AND o.paid_at IS NOT NULL AND o.paid_at >= ${from} AND o.paid_at <= greatest(${now}::timestamptz, now()) AND o.status IN ('paid', 'partially_refunded', 'refunded'))`;
  const upgraded = await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ profile_id: number; origin_profile_id: number; tier_id: string | null; below_since: Date | null; value: number }>`
      SELECT m.profile_id, m.origin_profile_id, m.tier_id, m.below_since, ${qualifying}::numeric AS value
      FROM members m WHERE m.workspace_id = ${workspaceId} AND m.profile_id = ANY(${ids}::bigint[]) AND m.status = 'active'
      ORDER BY m.profile_id, m.joined_at FOR UPDATE OF m`.execute(trx);
    const seen = new Set<number>();
    const moves: Array<{ profileId: number; origin: number; from: string | null; to: string; reason: string; value: number }> = [];
    const cleared: number[] = [];
    for (const m of rows) {
      if (seen.has(m.profile_id)) continue; // the earliest card, as retier
      seen.add(m.profile_id);
      const value = Number(m.value);
      const target = tierFor(tiers, value) ?? tiers[0]!;
      const current = rankOf(tiers, m.tier_id);
      if (target.rank > current) moves.push({ profileId: m.profile_id, origin: m.origin_profile_id, from: m.tier_id, to: target.id, reason: m.tier_id ? 'upgrade' : 'join', value });
      else if (target.rank === current && m.below_since) cleared.push(m.origin_profile_id);
    }
    if (cleared.length) {
      await trx.updateTable('members').set({ below_since: null }).where('workspace_id', '=', workspaceId).where('origin_profile_id', '=', sql<number>`ANY(${cleared}::bigint[])`).execute();
    }
    if (moves.length) {
      const doc = JSON.stringify(moves.map((m) => ({ origin: m.origin, to: m.to })));
      await sql`UPDATE members AS m SET tier_id = v."to", tier_since = ${now}, below_since = NULL
        FROM jsonb_to_recordset(${doc}::jsonb) AS v(origin bigint, "to" text)
        WHERE m.workspace_id = ${workspaceId} AND m.origin_profile_id = v.origin AND m.origin_profile_id = ANY(${moves.map((m) => m.origin)}::bigint[])`.execute(trx);
      await trx
        .insertInto('tier_history')
        .values(moves.map((m) => ({ workspace_id: workspaceId, profile_id: m.profileId, origin_profile_id: m.origin, from_tier: m.from, to_tier: m.to, reason: m.reason, qualifying: m.value })))
        .execute();
      await touchProfiles(trx, workspaceId, moves.map((m) => m.profileId).sort((a, b) => a - b));
    }
    return moves;
  });
  for (const m of upgraded) {
    const tier = tiers.find((t) => t.id === m.to);
    const templateId = (tier?.benefits as TierBenefits | undefined)?.freeShippingCouponTemplateId;
    if (!templateId) continue;
    await issueCoupon(db, workspaceId, templateId, m.profileId, { source: 'tier', sourceId: m.to, idempotencyKey: `tier:${m.to}:${m.origin}:shipping` }).catch(() => undefined);
  }
}
