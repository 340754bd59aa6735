import type { Db } from '../../platform/db/database.js';

export interface LoyaltyFacts {
  points: number;
  pendingPoints: number;
  tier: string | null;
  memberNo: string | null;
  /** Template ids of coupons the profile holds in the issued state (usable now or later). */
  couponTemplates: string[];
}

/**
 * What the rule language reads about loyalty (`points >= N`, `tier = gold`, `holds coupon X`) for a batch of
 * profiles, in three indexed queries. Profiles without loyalty rows get zeros.
 */
export async function loyaltyFacts(db: Db, workspaceId: string, profileIds: number[]): Promise<Map<number, LoyaltyFacts>> {
  const out = new Map<number, LoyaltyFacts>(profileIds.map((id) => [id, { points: 0, pendingPoints: 0, tier: null, memberNo: null, couponTemplates: [] }]));
  if (profileIds.length === 0) return out;
  const [accounts, members, coupons] = await Promise.all([
    db.selectFrom('points_accounts').select(['profile_id', 'balance', 'pending']).where('workspace_id', '=', workspaceId).where('profile_id', 'in', profileIds).execute(),
    db.selectFrom('members').select(['profile_id', 'tier_id', 'member_no', 'joined_at']).where('workspace_id', '=', workspaceId).where('profile_id', 'in', profileIds).where('status', '=', 'active').orderBy('joined_at', 'desc').execute(),
    db.selectFrom('coupons').select(['profile_id', 'template_id']).distinct().where('workspace_id', '=', workspaceId).where('profile_id', 'in', profileIds).where('status', '=', 'issued').execute(),
  ]);
  for (const a of accounts) Object.assign(out.get(a.profile_id) ?? {}, { points: a.balance, pendingPoints: a.pending });
  // Ordered newest first, so the earliest card (the one that counts after a merge) is written last.
  for (const m of members) Object.assign(out.get(m.profile_id) ?? {}, { tier: m.tier_id, memberNo: m.member_no });
  for (const c of coupons) out.get(c.profile_id)?.couponTemplates.push(c.template_id);
  return out;
}
