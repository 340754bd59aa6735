import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

/** What a tier gives; stored as the tier's `benefits`. */
export interface TierBenefits {
  pointsMultiplier?: number;
  memberPrice?: boolean;
  birthdayCouponTemplateId?: string;
  freeShippingCouponTemplateId?: string;
}

/** The member row of a profile (the earliest card if a merge brought two), or undefined. */
export async function memberOf(db: Kysely<DB> | Transaction<DB>, workspaceId: string, profileId: number) {
  return db
    .selectFrom('members')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .where('status', '=', 'active')
    .orderBy('joined_at')
    .limit(1)
    .executeTakeFirst();
}

/** The profile's current tier id, or null when it is not a member or has no tier. */
export async function tierOf(db: Kysely<DB> | Transaction<DB>, workspaceId: string, profileId: number): Promise<string | null> {
  return (await memberOf(db, workspaceId, profileId))?.tier_id ?? null;
}

/** The points multiplier of a profile's current tier (1 when it is not a member or its tier has none). */
export async function pointsMultiplierOf(db: Kysely<DB> | Transaction<DB>, workspaceId: string, profileId: number): Promise<number> {
  const row = await db
    .selectFrom('members')
    .innerJoin('member_tiers', (j) => j.onRef('member_tiers.workspace_id', '=', 'members.workspace_id').onRef('member_tiers.id', '=', 'members.tier_id'))
    .select('member_tiers.benefits')
    .where('members.workspace_id', '=', workspaceId)
    .where('members.profile_id', '=', profileId)
    .where('members.status', '=', 'active')
    .orderBy('members.joined_at')
    .limit(1)
    .executeTakeFirst();
  const multiplier = (row?.benefits as TierBenefits | undefined)?.pointsMultiplier;
  return typeof multiplier === 'number' && multiplier > 0 ? multiplier : 1;
}

/** The points multipliers of several profiles' current tiers (profiles without one are left out: 1). */
export async function pointsMultipliersOf(db: Kysely<DB> | Transaction<DB>, workspaceId: string, profileIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (profileIds.length === 0) return out;
  const rows = await db
    .selectFrom('members')
    .innerJoin('member_tiers', (j) => j.onRef('member_tiers.workspace_id', '=', 'members.workspace_id').onRef('member_tiers.id', '=', 'members.tier_id'))
    .select(['members.profile_id', 'member_tiers.benefits'])
    .where('members.workspace_id', '=', workspaceId)
    .where('members.profile_id', '=', sql<number>`ANY(${[...new Set(profileIds)]}::bigint[])`)
    .where('members.status', '=', 'active')
    .orderBy('members.profile_id')
    .orderBy('members.joined_at')
    .execute();
  for (const r of rows) {
    if (out.has(r.profile_id)) continue; // the earliest card's tier, as pointsMultiplierOf
    const multiplier = (r.benefits as TierBenefits | undefined)?.pointsMultiplier;
    out.set(r.profile_id, typeof multiplier === 'number' && multiplier > 0 ? multiplier : 1);
  }
  return out;
}
