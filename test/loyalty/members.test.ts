import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import {
  announceExpiringPoints,
  authenticateMember,
  bindMemberCard,
  createCouponTemplate,
  earnPoints,
  evaluateTiers,
  getMember,
  grantBirthdayGifts,
  issueMemberToken,
  listCoupons,
  loyaltyFacts,
  revokeMemberTokens,
  setTiers,
  settleOrderPoints,
  tierHistory,
  updateLoyaltySettings,
} from '../../src/modules/loyalty/index.js';

const DAY = 86_400_000;

describeEachDatabase('loyalty members and tiers', (ctx) => {
  it('binding a card issues a member number, merges identities through OneID, and is idempotent', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await ingestMessages(db, ws.id, [{ type: 'identify', userId: 'u-1', traits: { name: 'Li' }, timestamp: new Date().toISOString() }]);
    const member = await bindMemberCard(db, ws.id, { userId: 'u-1', joinChannel: 'mini_program', storeId: 'S1' });
    expect(member.memberNo).toBe('0000000001');
    const ids = await db.selectFrom('identifiers').select(['type', 'value', 'profile_id']).where('workspace_id', '=', ws.id).execute();
    const byType = Object.fromEntries(ids.map((i) => [i.type, i.profile_id]));
    expect(byType.member_no).toBe(member.profileId);
    expect(byType.userId).toBe(member.profileId);
    const again = await bindMemberCard(db, ws.id, { userId: 'u-1' });
    expect(again.memberNo).toBe(member.memberNo);
    // An imported number for another person; a second number for the same person is refused by OneID.
    const imported = await bindMemberCard(db, ws.id, { anonymousId: 'anon-9', memberNo: 'VIP-77' });
    expect(imported.memberNo).toBe('VIP-77');
    expect(imported.profileId).not.toBe(member.profileId);
    await expect(bindMemberCard(db, ws.id, { userId: 'u-1', memberNo: 'VIP-78' })).rejects.toMatchObject({ code: 'conflict' });
    const changed = await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', ws.id).execute();
    expect(changed.map((c) => c.profile_id)).toContain(member.profileId);
  });

  it('member tokens authenticate until revoked', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const member = await bindMemberCard(db, ws.id, { userId: 'tok-1' });
    const { token } = await issueMemberToken(db, ws.id, member.profileId);
    expect(await authenticateMember(db, token)).toEqual({ workspaceId: ws.id, profileId: member.profileId });
    await revokeMemberTokens(db, ws.id, member.profileId);
    await expect(authenticateMember(db, token)).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(authenticateMember(db, 'mt_forged')).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('upgrades as soon as the threshold is met; downgrades only at evaluation after the grace period', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await updateLoyaltySettings(db, ws.id, { tiers: { basis: 'points', period: 'rolling', rollingMonths: 12, graceDays: 30 } });
    const ship = await createCouponTemplate(db, ws.id, { name: 'gold shipping', kind: 'shipping' });
    await setTiers(db, ws.id, [
      { id: 'normal', name: '普通', rank: 0, threshold: 0 },
      { id: 'silver', name: '银卡', rank: 1, threshold: 500 },
      { id: 'gold', name: '金卡', rank: 2, threshold: 2000, benefits: { pointsMultiplier: 2, freeShippingCouponTemplateId: ship.id } },
    ]);
    const m = await bindMemberCard(db, ws.id, { userId: 'tier-1' });
    expect(m.tierId).toBe('normal');
    await earnPoints(db, ws.id, { profileId: m.profileId, points: 600, reason: 'x' });
    expect((await getMember(db, ws.id, m.profileId)).tierId).toBe('silver');
    await earnPoints(db, ws.id, { profileId: m.profileId, points: 1500, reason: 'x' });
    expect((await getMember(db, ws.id, m.profileId)).tier?.name).toBe('金卡');
    expect((await listCoupons(db, ws.id, { profileId: m.profileId })).map((c) => c.templateId)).toEqual([ship.id]);
    const facts = await loyaltyFacts(db, ws.id, [m.profileId, 999_999_999]);
    expect(facts.get(m.profileId)).toMatchObject({ points: 2100, tier: 'gold', memberNo: m.memberNo, couponTemplates: [ship.id] });
    expect(facts.get(999_999_999)).toMatchObject({ points: 0, tier: null, couponTemplates: [] });
    // Gold earns double on orders.
    const settled = await settleOrderPoints(db, ws.id, { orderId: 'g1', profileId: m.profileId, status: 'paid', paidAmount: 10 });
    expect(settled.granted).toBe(20);

    // A year later the points fall out of the rolling window: the first evaluation starts the grace period.
    const later = new Date(Date.now() + 400 * DAY);
    expect(await evaluateTiers(db, ws.id, later)).toEqual({ evaluated: 1, changed: 0 });
    expect((await getMember(db, ws.id, m.profileId)).tierId).toBe('gold');
    expect(await evaluateTiers(db, ws.id, new Date(later.getTime() + 31 * DAY))).toEqual({ evaluated: 1, changed: 1 });
    expect((await getMember(db, ws.id, m.profileId)).tierId).toBe('normal');
    expect((await tierHistory(db, ws.id, m.profileId)).map((h) => `${h.reason}:${h.toTier}`)).toEqual([
      'join:normal',
      'upgrade:silver',
      'upgrade:gold',
      'grace:gold',
      'downgrade:normal',
    ]);
  });

  it('announces expiring points once per expiry date as a Points Expiring event for journeys', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await updateLoyaltySettings(db, ws.id, { expiry: { mode: 'lot', days: 10, notifyDaysBefore: 30 } });
    const m = await bindMemberCard(db, ws.id, { userId: 'exp-1' });
    await earnPoints(db, ws.id, { profileId: m.profileId, points: 70, reason: 'x' });
    expect(await announceExpiringPoints(db, ws.id)).toBe(1);
    expect(await announceExpiringPoints(db, ws.id)).toBe(0);
    const events = await db.selectFrom('events').select(['event', 'properties']).where('workspace_id', '=', ws.id).where('event', '=', 'Points Expiring').execute();
    expect(events).toEqual([expect.objectContaining({ properties: expect.objectContaining({ points: 70 }) })]);
  });

  it('hands out the tier birthday coupon on the birthday, once a year', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const gift = await createCouponTemplate(db, ws.id, { name: 'birthday', kind: 'fixed', amount: 30 });
    await setTiers(db, ws.id, [{ id: 'normal', name: '普通', rank: 0, threshold: 0, benefits: { birthdayCouponTemplateId: gift.id } }]);
    await ingestMessages(db, ws.id, [{ type: 'identify', userId: 'bday-1', traits: { birthday: '1990-06-15' }, timestamp: new Date().toISOString() }]);
    const m = await bindMemberCard(db, ws.id, { userId: 'bday-1' });
    const birthday = new Date('2031-06-15T04:00:00Z'); // noon in Shanghai
    expect(await grantBirthdayGifts(db, ws.id, new Date('2031-06-14T04:00:00Z'))).toBe(0);
    expect(await grantBirthdayGifts(db, ws.id, birthday)).toBe(1);
    expect(await grantBirthdayGifts(db, ws.id, new Date(birthday.getTime() + 3_600_000))).toBe(0);
    expect((await listCoupons(db, ws.id, { profileId: m.profileId })).map((c) => c.templateId)).toEqual([gift.id]);
  });
});
