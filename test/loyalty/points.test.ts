import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import {
  adjustPoints,
  earnPoints,
  expireDuePoints,
  getPointsAccount,
  redeemPoints,
  releaseDuePending,
  reversePoints,
  settleOrderPoints,
  updateLoyaltySettings,
} from '../../src/modules/loyalty/index.js';
import { expectLedgerConsistent, newProfileId } from './helpers.js';

const DAY = 86_400_000;

describeEachDatabase('loyalty points ledger', (ctx) => {
  it('earns, redeems FIFO by expiry and refuses to overspend', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const p = newProfileId();
    const soon = new Date(Date.now() + 10 * DAY);
    const later = new Date(Date.now() + 100 * DAY);
    await earnPoints(db, ws.id, { profileId: p, points: 100, reason: 'late lot', expiresAt: later });
    await earnPoints(db, ws.id, { profileId: p, points: 50, reason: 'early lot', expiresAt: soon });
    const spent = await redeemPoints(db, ws.id, { profileId: p, points: 70, reason: 'gift' });
    expect(spent).toMatchObject({ points: -70, balance: 80 });
    const lots = await db.selectFrom('points_lots').select(['points', 'remaining']).where('workspace_id', '=', ws.id).orderBy('entry_id').execute();
    // The lot expiring first is used first.
    expect(lots).toEqual([{ points: 100, remaining: 80 }, { points: 50, remaining: 0 }]);
    await expect(redeemPoints(db, ws.id, { profileId: p, points: 81, reason: 'too much' })).rejects.toMatchObject({ code: 'insufficient_points' });
    await expect(adjustPoints(db, ws.id, { profileId: p, points: -81, reason: 'too much' })).rejects.toMatchObject({ code: 'insufficient_points' });
    expect((await expectLedgerConsistent(db, ws.id, p)).balance).toBe(80);
  });

  it('applies a replayed request once', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const p = newProfileId();
    const first = await earnPoints(db, ws.id, { profileId: p, points: 30, reason: 'signup', idempotencyKey: 'signup-1' });
    const again = await earnPoints(db, ws.id, { profileId: p, points: 30, reason: 'signup', idempotencyKey: 'signup-1' });
    expect(again).toMatchObject({ replayed: true, entryId: first.entryId, balance: 30 });
    const parallel = await Promise.all(
      Array.from({ length: 20 }, () => redeemPoints(db, ws.id, { profileId: p, points: 10, reason: 'x', idempotencyKey: 'redeem-1' })),
    );
    expect(new Set(parallel.map((r) => r.entryId)).size).toBe(1);
    expect((await expectLedgerConsistent(db, ws.id, p)).balance).toBe(20);
    await expect(earnPoints(db, ws.id, { profileId: newProfileId(), points: 1, reason: 'x', idempotencyKey: 'signup-1' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('100 parallel redemptions never overspend one balance', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const p = newProfileId();
    await earnPoints(db, ws.id, { profileId: p, points: 300, reason: 'a' });
    await earnPoints(db, ws.id, { profileId: p, points: 200, reason: 'b' });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => redeemPoints(db, ws.id, { profileId: p, points: 10, reason: 'race', idempotencyKey: `race-${i}` })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'insufficient_points').length;
    expect(ok).toBe(50);
    expect(refused).toBe(50);
    expect((await expectLedgerConsistent(db, ws.id, p)).balance).toBe(0);
  }, 120_000);

  it('a reversal after spending records debt that the next earn pays first', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const p = newProfileId();
    await earnPoints(db, ws.id, { profileId: p, points: 100, reason: 'order', sourceType: 'order', sourceId: 'o1' });
    await redeemPoints(db, ws.id, { profileId: p, points: 80, reason: 'spent' });
    const reversed = await reversePoints(db, ws.id, { profileId: p, points: 100, reason: 'refund', sourceType: 'order', sourceId: 'o1' });
    expect(reversed).toMatchObject({ points: -20, debtRecorded: 80, balance: 0, debt: 80 });
    const earned = await earnPoints(db, ws.id, { profileId: p, points: 50, reason: 'next order' });
    expect(earned).toMatchObject({ balance: 0, debt: 30 });
    const more = await earnPoints(db, ws.id, { profileId: p, points: 50, reason: 'another' });
    expect(more).toMatchObject({ balance: 20, debt: 0 });
    await expectLedgerConsistent(db, ws.id, p);
  });

  it('expires lots at their date and by the expiry job', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const p = newProfileId();
    await earnPoints(db, ws.id, { profileId: p, points: 40, reason: 'old', expiresAt: new Date(Date.now() + 5 * DAY) });
    await earnPoints(db, ws.id, { profileId: p, points: 60, reason: 'new', expiresAt: new Date(Date.now() + 50 * DAY) });
    await redeemPoints(db, ws.id, { profileId: p, points: 10, reason: 'spend' });
    expect((await getPointsAccount(db, ws.id, p)).expiringSoon.points).toBe(30);
    const job = await expireDuePoints(db, ws.id, new Date(Date.now() + 6 * DAY));
    expect(job).toEqual({ profiles: 1, points: 30 });
    expect(await expireDuePoints(db, ws.id, new Date(Date.now() + 6 * DAY))).toEqual({ profiles: 0, points: 0 });
    expect((await expectLedgerConsistent(db, ws.id, p)).balance).toBe(60);
  });

  it('end-of-year expiry policy dates each earn', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await updateLoyaltySettings(db, ws.id, { expiry: { mode: 'end_of_year', years: 2 } });
    const p = newProfileId();
    const earn = await earnPoints(db, ws.id, { profileId: p, points: 5, reason: 'x' });
    const lot = await db.selectFrom('points_lots').select('expires_at').where('workspace_id', '=', ws.id).where('entry_id', '=', earn.entryId!).executeTakeFirstOrThrow();
    // The end of the next year in the workspace's zone (Asia/Shanghai): 31 Dec 23:59:59.999 there.
    const year = new Date(Date.now() + 8 * 3_600_000).getUTCFullYear();
    expect(lot.expires_at?.toISOString()).toBe(`${year + 1}-12-31T15:59:59.999Z`);
  });

  it('order points: pending window, partial refund reverses the refunded part, settling is idempotent', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await updateLoyaltySettings(db, ws.id, {
      orderEarning: { pointsPerYuan: 1, excludeShipping: true, excludedSkus: ['GIFTCARD'], excludedCategories: [], pendingDays: 7 },
    });
    const p = newProfileId();
    const paidAt = new Date(Date.now() - 10 * DAY);
    const order = {
      orderId: 'o-100',
      profileId: p,
      status: 'paid' as const,
      paidAmount: 310,
      shippingAmount: 10,
      paidAt,
      items: [
        { sku: 'A', price: 100, quantity: 2 },
        { sku: 'B', price: 50, quantity: 1 },
        { sku: 'GIFTCARD', price: 50, quantity: 1 },
      ],
    };
    const first = await settleOrderPoints(db, ws.id, order);
    expect(first).toMatchObject({ granted: 250, targetPoints: 250, pending: true });
    await settleOrderPoints(db, ws.id, order); // replayed "paid" call
    expect(await getPointsAccount(db, ws.id, p)).toMatchObject({ balance: 0, pending: 250 });
    expect(await releaseDuePending(db, ws.id)).toEqual({ released: 1, points: 250 });
    await redeemPoints(db, ws.id, { profileId: p, points: 200, reason: 'spend' });
    // One unit of A refunded: 100 of 250 eligible → 100 points back, 50 from balance and 50 as debt.
    const refunded = { ...order, status: 'partially_refunded' as const, refundedAmount: 100, items: order.items.map((i) => (i.sku === 'A' ? { ...i, refundedQuantity: 1 } : i)) };
    expect(await settleOrderPoints(db, ws.id, refunded)).toMatchObject({ targetPoints: 150, reversed: 100 });
    expect(await settleOrderPoints(db, ws.id, refunded)).toMatchObject({ targetPoints: 150, reversed: 0 });
    expect(await getPointsAccount(db, ws.id, p)).toMatchObject({ balance: 0, debt: 50 });
    expect(await settleOrderPoints(db, ws.id, { ...order, status: 'refunded' })).toMatchObject({ targetPoints: 0, reversed: 150 });
    expect(await expectLedgerConsistent(db, ws.id, p)).toEqual({ balance: 0, debt: 200, pending: 0 });
  });

  it('a refund inside the pending window only shrinks the pending points', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await updateLoyaltySettings(db, ws.id, { orderEarning: { pointsPerYuan: 2, pendingDays: 15 } });
    const p = newProfileId();
    const order = { orderId: 'o-1', profileId: p, status: 'paid' as const, paidAmount: 99.5 };
    expect(await settleOrderPoints(db, ws.id, order)).toMatchObject({ granted: 199 });
    await settleOrderPoints(db, ws.id, { ...order, status: 'partially_refunded', refundedAmount: 49.5 });
    expect(await expectLedgerConsistent(db, ws.id, p)).toEqual({ balance: 0, debt: 0, pending: 100 });
    expect(await releaseDuePending(db, ws.id, new Date(Date.now() + 16 * DAY))).toEqual({ released: 1, points: 100 });
    expect(await expectLedgerConsistent(db, ws.id, p)).toEqual({ balance: 100, debt: 0, pending: 0 });
  });
});
