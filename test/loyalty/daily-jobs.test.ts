import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { createWorkspace } from '../../src/modules/workspaces/index.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { bindMemberCard, createCouponTemplate, earnPoints, getPointsAccount, listCoupons, setTiers } from '../../src/modules/loyalty/index.js';
import { runLoyaltyTick } from '../../src/modules/loyalty/daily.js';

/**
 * The loyalty worker's daily work (tier evaluation, expiring-points notices, birthday gifts) runs once per local day
 * of each workspace, soon after its own midnight; points expire at the end of the local day whatever the pass.
 */
describeEachDatabase('loyalty daily jobs follow each workspace\'s day', (ctx) => {
  let n = 0;
  const setup = async (timezone: string) => {
    const db = ctx.database.db;
    const ws = await createWorkspace(db, { name: `daily-${process.pid}-${++n}`, timezone });
    const gift = await createCouponTemplate(db, ws.id, { name: 'birthday', kind: 'fixed', amount: 30 });
    await setTiers(db, ws.id, [{ id: 'normal', name: '普通', rank: 0, threshold: 0, benefits: { birthdayCouponTemplateId: gift.id } }]);
    await ingestMessages(db, ws.id, [{ type: 'identify', userId: 'new-year-baby', traits: { birthday: '1990-01-01' }, timestamp: new Date().toISOString() }]);
    const member = await bindMemberCard(db, ws.id, { userId: 'new-year-baby' });
    const gifts = async () => (await listCoupons(db, ws.id, { profileId: member.profileId })).length;
    return { ws, member, gifts };
  };

  it('two zones: each workspace\'s day starts at its own midnight, and runs once', async () => {
    const db = ctx.database.db;
    const sh = await setup('Asia/Shanghai');
    const la = await setup('America/Los_Angeles');
    // Points that expire with the last day of 2026 in Shanghai.
    await earnPoints(db, sh.ws.id, { profileId: sh.member.profileId, points: 50, reason: 'old', expiresAt: new Date('2026-12-31T23:59:59.999+08:00') });
    const workspaceIds = [sh.ws.id, la.ws.id];
    const tick = async (iso: string) => (await runLoyaltyTick(db, { now: new Date(iso), workspaceIds })).map((r) => `${r.workspaceId === sh.ws.id ? 'sh' : 'la'} ${r.day}`).sort();

    // 08:05 UTC on 31 December: 16:05 in Shanghai, 00:05 in Los Angeles. Both run their 31 December.
    expect(await tick('2026-12-31T08:05:00Z')).toEqual(['la 2026-12-31', 'sh 2026-12-31']);
    expect(await getPointsAccount(db, sh.ws.id, sh.member.profileId)).toMatchObject({ balance: 50 });
    // 00:05 on 1 January in Shanghai (16:05 UTC on the 31st): Shanghai's new day, its birthday gift, its points gone;
    // still the morning of the 31st in Los Angeles.
    expect(await tick('2026-12-31T16:05:00Z')).toEqual(['sh 2027-01-01']);
    expect(await sh.gifts()).toBe(1);
    expect(await la.gifts()).toBe(0);
    expect(await getPointsAccount(db, sh.ws.id, sh.member.profileId)).toMatchObject({ balance: 0 });
    // Later passes of the same local days do nothing more.
    expect(await tick('2026-12-31T16:10:00Z')).toEqual([]);
    expect(await tick('2027-01-01T07:55:00Z')).toEqual([]);
    // 00:05 on 1 January in Los Angeles (08:05 UTC): its new day and gift.
    expect(await tick('2027-01-01T08:05:00Z')).toEqual(['la 2027-01-01']);
    expect(await la.gifts()).toBe(1);
    expect(await sh.gifts()).toBe(1);
    // A clock stepping back (or another process behind) never runs a done day again.
    expect(await tick('2026-12-31T16:05:00Z')).toEqual([]);
  });

  it('two workers at once: one of them runs the day', async () => {
    const db = ctx.database.db;
    const sh = await setup('Asia/Shanghai');
    const now = new Date('2027-01-01T00:05:00+08:00');
    const runs = await Promise.all([1, 2, 3].map(() => runLoyaltyTick(db, { now, workspaceIds: [sh.ws.id] })));
    expect(runs.flat()).toEqual([{ workspaceId: sh.ws.id, day: '2027-01-01' }]);
    expect(await sh.gifts()).toBe(1);
  });
});
