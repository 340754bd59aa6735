import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { runProfileRemapHandlers } from '../../src/platform/hooks.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { createCouponTemplate, earnPoints, getPointsAccount, issueCoupon, listCoupons, redeemPoints } from '../../src/modules/loyalty/index.js';
import { expectLedgerConsistent, newProfileId } from './helpers.js';

describeEachDatabase('loyalty follows profile merges', (ctx) => {
  it('a merge pools the ledgers; an unmerge splits them back and turns points spent from the other into debt', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const a = newProfileId();
    const b = newProfileId();
    await earnPoints(db, ws.id, { profileId: a, points: 100, reason: 'a', expiresAt: new Date(Date.now() + 90 * 86_400_000) });
    await earnPoints(db, ws.id, { profileId: b, points: 50, reason: 'b', expiresAt: new Date(Date.now() + 10 * 86_400_000) });
    const template = await createCouponTemplate(db, ws.id, { name: 'once', kind: 'fixed', amount: 5, perMemberLimit: 1 });
    const coupon = await issueCoupon(db, ws.id, template.id, b, { source: 'api' });
    await db.transaction().execute((trx) => runProfileRemapHandlers(trx, ws.id, [{ from: b, to: a }]));
    expect(await expectLedgerConsistent(db, ws.id, a)).toMatchObject({ balance: 150 });
    expect((await listCoupons(db, ws.id, { profileId: a })).map((c) => c.id)).toEqual([coupon.id]);
    // The merged profile holds B's coupon, so the per-member limit counts it.
    await expect(issueCoupon(db, ws.id, template.id, a, { source: 'api' })).rejects.toMatchObject({ code: 'limit_reached' });
    expect(await expectLedgerConsistent(db, ws.id, b)).toMatchObject({ balance: 0 });
    // Spends B's lot first (it expires first), then 70 of A's.
    await redeemPoints(db, ws.id, { profileId: a, points: 120, reason: 'after merge' });
    await db.transaction().execute((trx) => runProfileRemapHandlers(trx, ws.id, [{ from: b, to: b }]));
    expect(await expectLedgerConsistent(db, ws.id, b)).toEqual({ balance: 50, debt: 0, pending: 0 });
    expect((await listCoupons(db, ws.id, { profileId: b })).map((c) => c.id)).toEqual([coupon.id]);
    expect(await expectLedgerConsistent(db, ws.id, a)).toEqual({ balance: 0, debt: 20, pending: 0 });
    const changed = await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', ws.id).execute();
    expect(changed.map((r) => r.profile_id).sort()).toEqual([a, b].sort());
    // Merging again pays A's debt from the pooled balance.
    await db.transaction().execute((trx) => runProfileRemapHandlers(trx, ws.id, [{ from: b, to: a }]));
    expect(await getPointsAccount(db, ws.id, a)).toMatchObject({ balance: 30, debt: 0 });
    await expectLedgerConsistent(db, ws.id, a);
  });

  it('a real OneID merge through ingest carries both members\' points to the surviving profile', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const at = new Date().toISOString();
    await ingestMessages(db, ws.id, [
      { type: 'identify', userId: 'merge-u', timestamp: at },
      { type: 'track', event: 'Viewed', anonymousId: 'merge-a', timestamp: at },
    ]);
    const profileOf = async (type: string, value: string) =>
      (await db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', ws.id).where('type', '=', type).where('value', '=', value).executeTakeFirstOrThrow()).profile_id!;
    const u = await profileOf('userId', 'merge-u');
    const a = await profileOf('anonymousId', 'merge-a');
    expect(u).not.toBe(a);
    await earnPoints(db, ws.id, { profileId: u, points: 40, reason: 'u' });
    await earnPoints(db, ws.id, { profileId: a, points: 2, reason: 'a' });
    await ingestMessages(db, ws.id, [{ type: 'identify', userId: 'merge-u', anonymousId: 'merge-a', timestamp: new Date().toISOString() }]);
    const survivor = await profileOf('userId', 'merge-u');
    expect(await profileOf('anonymousId', 'merge-a')).toBe(survivor);
    const absorbed = survivor === u ? a : u;
    expect(await expectLedgerConsistent(db, ws.id, survivor)).toMatchObject({ balance: 42 });
    expect(await expectLedgerConsistent(db, ws.id, absorbed)).toMatchObject({ balance: 0 });
  });
});
