import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import {
  awardEventPoints,
  checkIn,
  checkinCalendar,
  createCouponTemplate,
  createMallItem,
  earnPoints,
  exchangeMallItem,
  getPointsAccount,
  listCoupons,
  makeUpCheckIn,
  updateLoyaltySettings,
} from '../../src/modules/loyalty/index.js';
import { expectLedgerConsistent, newProfileId } from './helpers.js';

const DAY = 86_400_000;
// Noon in Shanghai on consecutive days: far from any midnight, whatever the process time zone.
const day = (n: number) => new Date(Date.UTC(2031, 2, 1, 4) + n * DAY);

describeEachDatabase('loyalty event points, check-in and mall', (ctx) => {
  it('event rules award fixed points with daily and total caps; replays apply once', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await updateLoyaltySettings(db, ws.id, { eventRules: [{ id: 'review', event: 'review', points: 10, dailyTimes: 2, totalTimes: 3 }] });
    const p = newProfileId();
    const at = day(0);
    const award = (key: string, when = at) => awardEventPoints(db, ws.id, { profileId: p, event: 'review', idempotencyKey: key, at: when });
    expect(await award('m1')).toMatchObject({ awarded: 10, reason: 'awarded' });
    expect(await award('m1')).toMatchObject({ awarded: 0, reason: 'replayed' });
    expect(await award('m2')).toMatchObject({ awarded: 10 });
    expect(await award('m3')).toMatchObject({ awarded: 0, reason: 'daily_cap' });
    expect(await award('m4', day(1))).toMatchObject({ awarded: 10 });
    expect(await award('m5', day(2))).toMatchObject({ awarded: 0, reason: 'total_cap' });
    expect(await awardEventPoints(db, ws.id, { profileId: p, event: 'share', idempotencyKey: 'x' })).toMatchObject({ reason: 'no_rule' });
    expect((await expectLedgerConsistent(db, ws.id, p)).balance).toBe(30);
  });

  it('check-in streaks pay the day-7 bonus; a make-up check-in costs points and re-links the streak', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await updateLoyaltySettings(db, ws.id, { checkin: { points: 5, streakBonuses: [{ day: 7, points: 50 }], makeUpCost: 20, makeUpWindowDays: 7 } });
    const p = newProfileId();
    for (const n of [0, 1, 2, 4, 5]) await checkIn(db, ws.id, p, day(n)); // day 3 missed
    await expect(checkIn(db, ws.id, p, day(5))).rejects.toMatchObject({ code: 'conflict' });
    expect((await getPointsAccount(db, ws.id, p)).balance).toBe(25);
    const madeUp = await makeUpCheckIn(db, ws.id, p, '2031-03-04', day(5));
    expect(madeUp).toMatchObject({ streak: 6, cost: 20 });
    await expect(makeUpCheckIn(db, ws.id, p, '2031-02-01', day(5))).rejects.toMatchObject({ code: 'invalid_request' });
    const seventh = await checkIn(db, ws.id, p, day(6));
    expect(seventh).toMatchObject({ streak: 7, points: 55, bonus: 50 });
    const cal = await checkinCalendar(db, ws.id, p, '2031-03', day(6));
    expect(cal).toMatchObject({ currentStreak: 7, checkedInToday: true });
    expect(cal.days.map((d) => d.day)).toEqual(['2031-03-01', '2031-03-02', '2031-03-03', '2031-03-04', '2031-03-05', '2031-03-06', '2031-03-07']);
    expect((await expectLedgerConsistent(db, ws.id, p)).balance).toBe(25 - 20 + 55);
  });

  it('a mall exchange is atomic across points and stock, respects limits, issues coupons and replays once', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const t = await createCouponTemplate(db, ws.id, { name: '20 off', kind: 'fixed', amount: 20 });
    const coupon = await createMallItem(db, ws.id, { name: '20元券', kind: 'coupon', templateId: t.id, pointsPrice: 100, perMemberLimit: 2 });
    const mug = await createMallItem(db, ws.id, { name: 'mug', kind: 'goods', sku: 'MUG', pointsPrice: 50, stock: 3 });
    const p = newProfileId();
    await earnPoints(db, ws.id, { profileId: p, points: 1000, reason: 'x' });
    const first = await exchangeMallItem(db, ws.id, { profileId: p, itemId: coupon.id, idempotencyKey: 'ex-1' });
    expect(first).toMatchObject({ points: 100, replayed: false, balance: 900 });
    expect((await exchangeMallItem(db, ws.id, { profileId: p, itemId: coupon.id, idempotencyKey: 'ex-1' })).replayed).toBe(true);
    await exchangeMallItem(db, ws.id, { profileId: p, itemId: coupon.id, idempotencyKey: 'ex-2' });
    await expect(exchangeMallItem(db, ws.id, { profileId: p, itemId: coupon.id, idempotencyKey: 'ex-3' })).rejects.toMatchObject({ code: 'limit_reached' });
    expect((await listCoupons(db, ws.id, { profileId: p })).length).toBe(2);
    // Parallel exchanges of several members against a stock of 3: exactly 3 pass, and only they pay.
    const buyers = Array.from({ length: 8 }, () => newProfileId());
    for (const b of buyers) await earnPoints(db, ws.id, { profileId: b, points: 60, reason: 'x' });
    const results = await Promise.allSettled(buyers.map((b) => exchangeMallItem(db, ws.id, { profileId: b, itemId: mug.id, idempotencyKey: `mug-${b}` })));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(3);
    const balances = await Promise.all(buyers.map(async (b) => (await expectLedgerConsistent(db, ws.id, b)).balance));
    expect(balances.sort()).toEqual([10, 10, 10, 60, 60, 60, 60, 60]);
    // Not enough points: nothing is taken from stock.
    const poor = newProfileId();
    await expect(exchangeMallItem(db, ws.id, { profileId: poor, itemId: coupon.id, idempotencyKey: 'poor' })).rejects.toMatchObject({ code: 'insufficient_points' });
  });
});
