import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import {
  claimSharedCode,
  createCouponCampaign,
  createCouponTemplate,
  getCouponCampaign,
  issueCoupon,
  listCoupons,
  redeemCoupons,
  returnCouponsForOrder,
  runCouponCampaign,
  expireDueCoupons,
} from '../../src/modules/loyalty/index.js';
import { newProfileId } from './helpers.js';

const items = [
  { sku: 'TEA-1', category: 'tea', price: 120, quantity: 1 },
  { sku: 'CUP-1', category: 'cups', price: 40, quantity: 2 },
];

describeEachDatabase('loyalty coupons', (ctx) => {
  it('validates templates and names the offending field', async () => {
    const ws = await newWorkspace(ctx.database);
    await expect(createCouponTemplate(ctx.database.db, ws.id, { name: '满减', kind: 'threshold', amount: 20 })).rejects.toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'threshold' }],
    });
  });

  it('1,000 parallel claims against a stock of 100 give exactly 100', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const t = await createCouponTemplate(db, ws.id, { name: '10 off', kind: 'fixed', amount: 10, totalStock: 100, perMemberLimit: 1 });
    const profiles = Array.from({ length: 1000 }, () => newProfileId());
    const results = await Promise.allSettled(profiles.map((p) => issueCoupon(db, ws.id, t.id, p, { source: 'api' })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok.length).toBe(100);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'out_of_stock')).toBe(true);
    const stored = await db.selectFrom('coupons').select(['code']).where('workspace_id', '=', ws.id).execute();
    expect(stored.length).toBe(100);
    expect(new Set(stored.map((c) => c.code)).size).toBe(100);
    expect(stored.every((c) => /^[0-9A-HJKMNP-TV-Z]{16}$/.test(c.code))).toBe(true);
    const tpl = await db.selectFrom('coupon_templates').select('issued_count').where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(tpl.issued_count).toBe(100);
  }, 180_000);

  it('enforces the per-member limit, even in parallel, and applies a replayed issue once', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const t = await createCouponTemplate(db, ws.id, { name: 'limit 2', kind: 'fixed', amount: 5, perMemberLimit: 2 });
    const p = newProfileId();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => issueCoupon(db, ws.id, t.id, p, { source: 'api' })));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(2);
    const q = newProfileId();
    const replays = await Promise.all(Array.from({ length: 5 }, () => issueCoupon(db, ws.id, t.id, q, { source: 'journey', idempotencyKey: 'journey-7:step-2:q' })));
    expect(new Set(replays.map((c) => c.id)).size).toBe(1);
    expect((await listCoupons(db, ws.id, { profileId: q })).length).toBe(1);
  });

  it('redeems against an order: scope, threshold, cap, stacking, dates; marks and replays; refund returns the coupon', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const p = newProfileId();
    const pct = await createCouponTemplate(db, ws.id, { name: 'tea 85折 max 15', kind: 'percentage', percentOff: 15, maxDiscount: 15, scope: { categories: ['tea'] }, stacking: 'combinable' });
    const mj = await createCouponTemplate(db, ws.id, { name: '满200减30', kind: 'threshold', threshold: 200, amount: 30, stacking: 'combinable', returnOnRefund: true });
    const ship = await createCouponTemplate(db, ws.id, { name: 'free shipping', kind: 'shipping', stacking: 'combinable', combinableWith: [pct.id] });
    const solo = await createCouponTemplate(db, ws.id, { name: 'store only', kind: 'fixed', amount: 50, scope: { stores: ['S1'] } });
    const old = await createCouponTemplate(db, ws.id, { name: 'old', kind: 'fixed', amount: 1, validDays: 1 });
    const [cPct, cMj, cShip, cSolo] = await Promise.all([pct, mj, ship, solo].map((t) => issueCoupon(db, ws.id, t.id, p, { source: 'api' })));
    const cOld = await issueCoupon(db, ws.id, old.id, p, { source: 'api', now: new Date(Date.now() - 3 * 86_400_000) });
    const order = { profileId: p, orderId: 'ord-1', storeId: 'S2', shippingAmount: 12, items };

    // 满200减30 needs 200, the order has 200: ok; with the tea coupon: 15% of 120 = 18, capped at 15.
    const preview = await redeemCoupons(db, ws.id, { ...order, codes: [cPct!.code, cMj!.code] }, { commit: false });
    expect(preview.coupons.map((c) => c.discount)).toEqual([15, 30]);
    expect(preview.totalDiscount).toBe(45);
    await expect(redeemCoupons(db, ws.id, { ...order, items: [items[0]!], codes: [cMj!.code] }, { commit: false })).rejects.toMatchObject({ code: 'coupon_not_applicable' });
    await expect(redeemCoupons(db, ws.id, { ...order, codes: [cSolo!.code] }, { commit: false })).rejects.toThrow(/store S2/);
    await expect(redeemCoupons(db, ws.id, { ...order, storeId: 'S1', codes: [cSolo!.code, cPct!.code] }, { commit: false })).rejects.toThrow(/cannot be combined/);
    await expect(redeemCoupons(db, ws.id, { ...order, codes: [cShip!.code, cMj!.code] }, { commit: false })).rejects.toThrow(/cannot be combined/);
    await expect(redeemCoupons(db, ws.id, { ...order, codes: [cOld.code] }, { commit: false })).rejects.toThrow(/expired/);
    await expect(redeemCoupons(db, ws.id, { ...order, profileId: newProfileId(), codes: [cPct!.code] }, { commit: false })).rejects.toThrow(/not held/);
    const shipOnly = await redeemCoupons(db, ws.id, { ...order, codes: [cShip!.code, cPct!.code] }, { commit: false });
    expect(shipOnly.coupons.find((c) => c.kind === 'shipping')).toMatchObject({ discount: 12, freeShipping: true });

    const done = await redeemCoupons(db, ws.id, { ...order, codes: [cPct!.code, cMj!.code] }, { commit: true });
    expect(done.totalDiscount).toBe(45);
    const replay = await redeemCoupons(db, ws.id, { ...order, codes: [cPct!.code, cMj!.code] }, { commit: true });
    expect(replay).toMatchObject({ replayed: true, totalDiscount: 45 });
    await expect(redeemCoupons(db, ws.id, { ...order, orderId: 'ord-2', codes: [cMj!.code] }, { commit: true })).rejects.toThrow(/is redeemed/);

    const returned = await returnCouponsForOrder(db, ws.id, 'ord-1');
    expect(returned.map((c) => c.templateId)).toEqual([mj.id]); // only the template that says so
    const again = await redeemCoupons(db, ws.id, { ...order, orderId: 'ord-3', codes: [cMj!.code] }, { commit: true });
    expect(again.totalDiscount).toBe(30);
    expect(await expireDueCoupons(db, ws.id)).toBe(1); // the old one
  });

  it('a shared code is claimable once per member by default', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await createCouponTemplate(db, ws.id, { name: 'poster', kind: 'fixed', amount: 8, codeMode: 'shared', sharedCode: 'SPRING24' });
    const p = newProfileId();
    const a = await claimSharedCode(db, ws.id, 'SPRING24', p);
    const b = await claimSharedCode(db, ws.id, 'SPRING24', p);
    expect(a.id).toBe(b.id);
    const other = await claimSharedCode(db, ws.id, 'SPRING24', newProfileId());
    expect(other.code).toBe('SPRING24');
    const r = await redeemCoupons(db, ws.id, { profileId: p, orderId: 'o', items, codes: ['SPRING24'] }, { commit: true });
    expect(r.totalDiscount).toBe(8);
  });

  it('a campaign issues to a list of profiles in chunks with progress, within stock, and a re-run issues nothing twice', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const t = await createCouponTemplate(db, ws.id, { name: 'campaign', kind: 'fixed', amount: 3, totalStock: 25, perMemberLimit: 1 });
    const first = newProfileId();
    await issueCoupon(db, ws.id, t.id, first, { source: 'api' }); // already holds one: skipped
    const profiles = [first, ...Array.from({ length: 29 }, () => newProfileId())];
    const c = await createCouponCampaign(db, ws.id, { templateId: t.id, profileIds: profiles });
    const done = await runCouponCampaign(db, ws.id, c.id, { chunkSize: 7 });
    expect(done).toMatchObject({ status: 'done', total: 30, issued: 24, error: 'stock exhausted' });
    const count = await db.selectFrom('coupons').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(25);
    const unlimited = await createCouponTemplate(db, ws.id, { name: 'all', kind: 'fixed', amount: 1 });
    const c2 = await createCouponCampaign(db, ws.id, { templateId: unlimited.id, profileIds: profiles });
    await runCouponCampaign(db, ws.id, c2.id, { chunkSize: 8 });
    await db.updateTable('coupon_campaigns').set({ status: 'running', cursor: 0 }).where('workspace_id', '=', ws.id).where('id', '=', c2.id).execute();
    await runCouponCampaign(db, ws.id, c2.id, { chunkSize: 8 });
    expect(await getCouponCampaign(db, ws.id, c2.id)).toMatchObject({ status: 'done', progress: 1 });
    expect((await listCoupons(db, ws.id, { templateId: unlimited.id, limit: 1000 })).length).toBe(30);
  });
});
