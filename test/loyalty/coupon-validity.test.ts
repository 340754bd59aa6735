import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { createWorkspace } from '../../src/modules/workspaces/index.js';
import { createCouponTemplate, issueCoupon, redeemCoupons } from '../../src/modules/loyalty/index.js';
import { newProfileId } from './helpers.js';

/**
 * "Valid N days after receipt" on a template that starts in the future: a coupon handed out before the start (a
 * pre-sale gift) is valid from the start for N days of the workspace's calendar, the start day the first; the
 * template's end still caps it. Received after the start, the N days count from receipt as before.
 */
describeEachDatabase('coupons: valid N days, received before the template starts', (ctx) => {
  let n = 0;
  const zoned = (timezone: string) => createWorkspace(ctx.database.db, { name: `validity-${process.pid}-${++n}`, timezone });

  it('counts the N days from validFrom, not from receipt, and is redeemable on each of them', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    const t = await createCouponTemplate(db, ws.id, { name: 'Double 11', kind: 'fixed', amount: 10, validFrom: '2026-11-11', validDays: 3 });
    const p = newProfileId();
    const c = await issueCoupon(db, ws.id, t.id, p, { source: 'api', now: new Date('2026-11-01T10:00:00+08:00') });
    expect(c.validFrom).toEqual(new Date('2026-11-11T00:00:00+08:00'));
    expect(c.validUntil).toEqual(new Date('2026-11-13T23:59:59.999+08:00'));
    const order = { orderId: 'V-1', profileId: p, codes: [c.code], items: [{ sku: 'A', price: 100, quantity: 1 }] };
    // The last of the three days, late in the evening there: still valid (counted from receipt it ended on 3 November).
    expect((await redeemCoupons(db, ws.id, order, { commit: false, now: new Date('2026-11-13T23:30:00+08:00') })).totalDiscount).toBe(10);
    await expect(redeemCoupons(db, ws.id, order, { commit: false, now: new Date('2026-11-10T23:30:00+08:00') })).rejects.toMatchObject({ code: 'coupon_not_applicable' });
    await expect(redeemCoupons(db, ws.id, order, { commit: false, now: new Date('2026-11-14T00:00:00+08:00') })).rejects.toMatchObject({ code: 'coupon_not_applicable' });

    // Received after the start: N days from receipt, as before.
    const late = await issueCoupon(db, ws.id, t.id, newProfileId(), { source: 'api', now: new Date('2026-11-20T09:00:00+08:00') });
    expect(late.validUntil).toEqual(new Date('2026-11-22T23:59:59.999+08:00'));
  });

  it('uses the local start day in other zones and keeps the earlier of the template end and the N days', async () => {
    const db = ctx.database.db;
    const ny = await zoned('America/New_York');
    const t = await createCouponTemplate(db, ny.id, { name: 'Spring', kind: 'fixed', amount: 5, validFrom: '2026-03-07', validUntil: '2026-03-08', validDays: 5 });
    const c = await issueCoupon(db, ny.id, t.id, newProfileId(), { source: 'api', now: new Date('2026-03-01T12:00:00-05:00') });
    expect(c.validFrom).toEqual(new Date('2026-03-07T00:00:00-05:00'));
    // Five days from the 7th would run to the 11th; the template ends with the 8th (after daylight saving began).
    expect(c.validUntil).toEqual(new Date('2026-03-08T23:59:59.999-04:00'));
    const open = await createCouponTemplate(db, ny.id, { name: 'Spring 2', kind: 'fixed', amount: 5, validFrom: '2026-03-07', validDays: 2 });
    const d = await issueCoupon(db, ny.id, open.id, newProfileId(), { source: 'api', now: new Date('2026-03-01T12:00:00-05:00') });
    expect(d.validUntil).toEqual(new Date('2026-03-08T23:59:59.999-04:00'));
  });
});
