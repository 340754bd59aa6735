import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { issueCoupon } from './coupons.js';
import { listTiers } from './tiers.js';

/**
 * The birthday gift of a tier: members whose profile trait `birthday` (YYYY-MM-DD, an ISO time starting so, or MM-DD)
 * falls on today (in the workspace's time zone) get their tier's birthday coupon, once per year (idempotency key per
 * member and year). A 29 February birthday is kept on 1 March in other years, as the rules' anniversaries are.
 */
export async function grantBirthdayGifts(db: Db, workspaceId: string, now = new Date()): Promise<number> {
  const tiers = (await listTiers(db, workspaceId)).filter((t) => t.benefits.birthdayCouponTemplateId);
  if (tiers.length === 0) return 0;
  const ws = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst();
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: ws?.timezone ?? 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  const monthDay = today.slice(5);
  const year = Number(today.slice(0, 4));
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = !leap && monthDay === '03-01' ? [monthDay, '02-29'] : [monthDay];
  const { rows } = await sql<{ profile_id: number; origin_profile_id: number; tier_id: string }>`
    SELECT m.profile_id, m.origin_profile_id, m.tier_id FROM members m
    JOIN profiles p ON p.workspace_id = m.workspace_id AND p.id = m.profile_id
    WHERE m.workspace_id = ${workspaceId} AND m.status = 'active' AND m.tier_id IN (${sql.join(tiers.map((t) => t.id))})
      AND (CASE WHEN p.traits->>'birthday' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' THEN substr(p.traits->>'birthday', 6, 5)
                WHEN p.traits->>'birthday' ~ '^[0-9]{2}-[0-9]{2}$' THEN p.traits->>'birthday' END) = ANY(${days}::text[])`.execute(db);
  let granted = 0;
  for (const row of rows) {
    const templateId = tiers.find((t) => t.id === row.tier_id)!.benefits.birthdayCouponTemplateId!;
    const key = `birthday:${row.origin_profile_id}:${today.slice(0, 4)}`;
    try {
      const coupon = await issueCoupon(db, workspaceId, templateId, Number(row.profile_id), { source: 'tier', sourceId: `birthday:${row.tier_id}`, idempotencyKey: key, now });
      if (coupon.issuedAt.getTime() === now.getTime()) granted += 1;
    } catch {
      // Out of stock or template ended: the gift is skipped for this member, the others still get theirs.
    }
  }
  return granted;
}
