import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { createWorkspace } from '../../src/modules/workspaces/index.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import {
  announceExpiringPoints,
  expireDueCoupons,
  awardEventPoints,
  bindMemberCard,
  checkIn,
  checkinCalendar,
  makeUpCheckIn,
  grantBirthdayGifts,
  listCoupons,
  setTiers,
  createCouponTemplate,
  earnPoints,
  expireDuePoints,
  getLoyaltySettings,
  issueCoupon,
  qualifyingValue,
  redeemCoupons,
  updateCouponTemplate,
  updateLoyaltySettings,
} from '../../src/modules/loyalty/index.js';
import { newProfileId } from './helpers.js';

/** Loyalty dates and periods follow the workspace's calendar (workspaces.timezone), not UTC or the server's zone. */
describeEachDatabase('loyalty calendar', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());
  let n = 0;
  const zoned = (timezone: string) => createWorkspace(ctx.database.db, { name: `calendar-${process.pid}-${++n}`, timezone });
  const items = [{ sku: 'TEA-1', price: 100, quantity: 1 }];

  it('a coupon valid until a date is valid through that day in the workspace zone', async () => {
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    const db = ctx.database.db;
    const t = await createCouponTemplate(db, ws.id, { name: 'NYE', kind: 'fixed', amount: 10, validFrom: '2026-12-01', validUntil: '2026-12-31' });
    expect(t.validFrom).toEqual(new Date('2026-12-01T00:00:00+08:00'));
    expect(t.validUntil).toEqual(new Date('2026-12-31T23:59:59.999+08:00'));
    const p = newProfileId();
    // 23:00 on 31 December in Shanghai (15:00 UTC): still valid, it can be issued and used.
    const lateEvening = new Date('2026-12-31T23:00:00+08:00');
    const c = await issueCoupon(db, ws.id, t.id, p, { source: 'api', now: lateEvening });
    const order = { profileId: p, orderId: 'nye-1', items, codes: [c.code] };
    expect((await redeemCoupons(db, ws.id, order, { commit: false, now: lateEvening })).totalDiscount).toBe(10);
    await expect(redeemCoupons(db, ws.id, order, { commit: false, now: new Date('2027-01-01T00:00:00+08:00') })).rejects.toMatchObject({ code: 'coupon_not_applicable' });
    await expect(redeemCoupons(db, ws.id, order, { commit: false, now: new Date('2026-11-30T23:59:00+08:00') })).rejects.toMatchObject({ code: 'coupon_not_applicable' });
    // The expiry job: nothing at 08:00 or 23:30 on the 31st (UTC midnight and later), the coupon at local midnight.
    expect(await expireDueCoupons(db, ws.id, new Date('2026-12-31T08:00:00+08:00'))).toBe(0);
    expect(await expireDueCoupons(db, ws.id, new Date('2026-12-31T23:30:00+08:00'))).toBe(0);
    expect(await expireDueCoupons(db, ws.id, new Date('2027-01-01T00:00:00+08:00'))).toBe(1);

    // A one-day coupon (from and until the same date) is valid, and a time without an offset is the wall clock.
    const oneDay = await updateCouponTemplate(db, ws.id, t.id, { validFrom: '2026-12-31', validUntil: '2026/12/31' });
    expect([oneDay.validFrom, oneDay.validUntil]).toEqual([new Date('2026-12-31T00:00:00+08:00'), new Date('2026-12-31T23:59:59.999+08:00')]);
    const evening = await updateCouponTemplate(db, ws.id, t.id, { validUntil: '2026-12-31 20:00' });
    expect(evening.validUntil).toEqual(new Date('2026-12-31T20:00:00+08:00'));
    const offset = await updateCouponTemplate(db, ws.id, t.id, { validUntil: '2026-12-31T20:00:00Z' });
    expect(offset.validUntil).toEqual(new Date('2026-12-31T20:00:00Z'));
    await expect(updateCouponTemplate(db, ws.id, t.id, { validUntil: '2026-02-30' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('the API reads template dates in the workspace zone (New York)', async () => {
    const ws = await zoned('America/New_York');
    const call = (method: 'POST' | 'PATCH', url: string, payload: unknown) => app.inject({ method, url, headers: bearer(ws.adminToken), payload: payload as never });
    const created = await call('POST', '/api/v1/loyalty/coupon-templates', { name: 'July', kind: 'fixed', amount: 5, validFrom: '2026-07-01', validUntil: '2026-07-31' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ validFrom: '2026-07-01T04:00:00.000Z', validUntil: '2026-08-01T03:59:59.999Z' });
    const id = (created.json() as { id: string }).id;
    const patched = await call('PATCH', `/api/v1/loyalty/coupon-templates/${id}`, { validUntil: '2026-12-31 18:00' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ validFrom: '2026-07-01T04:00:00.000Z', validUntil: '2026-12-31T23:00:00.000Z' });
    // A one-day coupon, and the checks across fields still answer 400.
    const oneDay = await call('POST', '/api/v1/loyalty/coupon-templates', { name: 'Day', kind: 'fixed', amount: 5, validFrom: '2026-07-04', validUntil: '2026-07-04' });
    expect(oneDay.statusCode).toBe(201);
    expect(oneDay.json()).toMatchObject({ validFrom: '2026-07-04T04:00:00.000Z', validUntil: '2026-07-05T03:59:59.999Z' });
    expect((await call('POST', '/api/v1/loyalty/coupon-templates', { name: 'Back', kind: 'fixed', amount: 5, validFrom: '2026-07-05', validUntil: '2026-07-04' })).statusCode).toBe(400);
    expect((await call('POST', '/api/v1/loyalty/coupon-templates', { name: '满减', kind: 'threshold', amount: 5 })).statusCode).toBe(400);
  });

  it('valid N days: the day of receipt is the first, the Nth ends at local midnight', async () => {
    const db = ctx.database.db;
    const sh = await newWorkspace(ctx.database);
    const week = await createCouponTemplate(db, sh.id, { name: '7 days', kind: 'fixed', amount: 5, validDays: 7 });
    const c = await issueCoupon(db, sh.id, week.id, newProfileId(), { source: 'api', now: new Date('2026-05-01T10:00:00+08:00') });
    expect(c.validUntil).toEqual(new Date('2026-05-07T23:59:59.999+08:00'));
    // Received at 00:30 local (16:30 UTC the day before): its first day is the local one.
    const early = await issueCoupon(db, sh.id, week.id, newProfileId(), { source: 'api', now: new Date('2026-05-01T00:30:00+08:00') });
    expect(early.validUntil).toEqual(new Date('2026-05-07T23:59:59.999+08:00'));

    // New York, across the start of daylight saving (8 March 2026): days, not 24-hour spans.
    const ny = await zoned('America/New_York');
    const two = await createCouponTemplate(db, ny.id, { name: '2 days', kind: 'fixed', amount: 5, validDays: 2 });
    const d = await issueCoupon(db, ny.id, two.id, newProfileId(), { source: 'api', now: new Date('2026-03-07T10:00:00-05:00') });
    expect(d.validUntil).toEqual(new Date('2026-03-08T23:59:59.999-04:00'));
  });

  it('end-of-year expiry is the end of the local year; the expiry job at UTC midnight leaves it alone', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    await updateLoyaltySettings(db, ws.id, { expiry: { mode: 'end_of_year', years: 1, days: 365, notifyDaysBefore: 30 } });
    const p = newProfileId();
    // 02:00 on 1 January 2027 in Shanghai is still 31 December 2026 in UTC: a 2027 credit.
    await checkIn(db, ws.id, p, new Date('2027-01-01T02:00:00+08:00'));
    const lot = await db.selectFrom('points_lots').select('expires_at').where('workspace_id', '=', ws.id).where('profile_id', '=', p).executeTakeFirstOrThrow();
    expect(lot.expires_at).toEqual(new Date('2027-12-31T23:59:59.999+08:00'));
    expect(await expireDuePoints(db, ws.id, new Date('2027-01-01T08:30:00+08:00'))).toEqual({ profiles: 0, points: 0 });
    expect(await expireDuePoints(db, ws.id, new Date('2028-01-01T00:00:00+08:00'))).toMatchObject({ profiles: 1 });

    // years: 2 from a credit on 31 December 23:30 in New York (04:30 UTC on 1 January): the end of the next year there.
    const ny = await zoned('America/New_York');
    await updateLoyaltySettings(db, ny.id, { expiry: { mode: 'end_of_year', years: 2, days: 365, notifyDaysBefore: 30 } });
    const q = newProfileId();
    await checkIn(db, ny.id, q, new Date('2026-12-31T23:30:00-05:00'));
    const nyLot = await db.selectFrom('points_lots').select('expires_at').where('workspace_id', '=', ny.id).where('profile_id', '=', q).executeTakeFirstOrThrow();
    expect(nyLot.expires_at).toEqual(new Date('2027-12-31T23:59:59.999-05:00'));
  });

  it('a calendar tier year starts on 1 January in the workspace zone', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    await updateLoyaltySettings(db, ws.id, { tiers: { basis: 'points', period: 'calendar', rollingMonths: 12, graceDays: 30 } });
    const settings = await getLoyaltySettings(db, ws.id);
    const earnAt = async (profileId: number, at: string) => {
      const e = await earnPoints(db, ws.id, { profileId, points: 100, reason: 'test' });
      await db.updateTable('points_entries').set({ created_at: new Date(at) }).where('workspace_id', '=', ws.id).where('id', '=', e.entryId!).execute();
    };
    // Earned on New Year's Eve (local), read at 01:00 on 1 January local (still 31 December UTC): last year's.
    const p = newProfileId();
    await earnAt(p, '2026-12-31T20:00:00+08:00');
    expect(await qualifyingValue(db, ws.id, p, settings, new Date('2027-01-01T01:00:00+08:00'))).toBe(0);
    // Earned at 02:00 on 1 January local (31 December UTC): this year's.
    const q = newProfileId();
    await earnAt(q, '2027-01-01T02:00:00+08:00');
    expect(await qualifyingValue(db, ws.id, q, settings, new Date('2027-01-01T09:00:00+08:00'))).toBe(100);
  });

  it('the daily cap of an event rule counts days of the workspace zone', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    await updateLoyaltySettings(db, ws.id, { eventRules: [{ id: 'share', event: 'share', points: 5, dailyTimes: 1 }] });
    const p = newProfileId();
    // 07:00 and 09:00 on 1 May in Shanghai: one local day, though UTC midnight lies between them.
    const first = await awardEventPoints(db, ws.id, { profileId: p, event: 'share', idempotencyKey: 's-1', at: new Date('2026-05-01T07:00:00+08:00') });
    expect(first.reason).toBe('awarded');
    const second = await awardEventPoints(db, ws.id, { profileId: p, event: 'share', idempotencyKey: 's-2', at: new Date('2026-05-01T09:00:00+08:00') });
    expect(second.reason).toBe('daily_cap');
    // 00:30 on 2 May local (16:30 UTC on 1 May) is a new day.
    const third = await awardEventPoints(db, ws.id, { profileId: p, event: 'share', idempotencyKey: 's-3', at: new Date('2026-05-02T00:30:00+08:00') });
    expect(third.reason).toBe('awarded');
  });

  it('the points API reads dates without an offset in the workspace zone', async () => {
    const db = ctx.database.db;
    const ny = await zoned('America/New_York');
    const call = (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: bearer(ny.adminToken), payload: payload as never });
    await updateLoyaltySettings(db, ny.id, { expiry: { mode: 'lot', days: 10, years: 1, notifyDaysBefore: 30 }, eventRules: [{ id: 'share', event: 'share', points: 5 }] });
    const lotOf = async (entryId: number) =>
      (await db.selectFrom('points_lots').select('expires_at').where('workspace_id', '=', ny.id).where('entry_id', '=', entryId).executeTakeFirstOrThrow()).expires_at;
    const entryOf = async (sourceType: string, p: number) =>
      (await db.selectFrom('points_entries').select('id').where('workspace_id', '=', ny.id).where('profile_id', '=', p).where('source_type', '=', sourceType).executeTakeFirstOrThrow()).id;

    // An operator's credit "expires 2026-12-31" lasts through that day; a time is the wall clock.
    const p = newProfileId();
    const day = await call('/api/v1/loyalty/points/earn', { profileId: p, points: 10, reason: 'gift', expiresAt: '2026-12-31' });
    expect(day.statusCode).toBe(200);
    expect(await lotOf((day.json() as { entryId: number }).entryId)).toEqual(new Date('2026-12-31T23:59:59.999-05:00'));
    const noon = await call('/api/v1/loyalty/points/earn', { profileId: p, points: 10, reason: 'gift', expiresAt: '2026-12-31 12:00' });
    expect(await lotOf((noon.json() as { entryId: number }).entryId)).toEqual(new Date('2026-12-31T12:00:00-05:00'));
    const bad = await call('/api/v1/loyalty/points/earn', { profileId: p, points: 10, reason: 'gift', expiresAt: '2026-02-30' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { details: [{ path: 'body.expiresAt' }] } });

    // An event's time and an order's payment time: lots expire 10 days after them.
    const q = newProfileId();
    expect((await call('/api/v1/loyalty/events', { profileId: q, event: 'share', idempotencyKey: 'e-1', at: '2026-05-01 23:30' })).json()).toMatchObject({ reason: 'awarded' });
    expect(await lotOf(await entryOf('event', q))).toEqual(new Date('2026-05-11T23:30:00-04:00'));
    const r = newProfileId();
    const settled = await call('/api/v1/loyalty/orders/settle', { orderId: 'ny-1', profileId: r, status: 'paid', paidAmount: 100, paidAt: '2026-05-01 10:00' });
    expect(settled.statusCode).toBe(200);
    expect(await lotOf(await entryOf('order', r))).toEqual(new Date('2026-05-11T10:00:00-04:00'));
  });

  it('report periods given as dates are local days', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    const p = newProfileId();
    const e = await earnPoints(db, ws.id, { profileId: p, points: 7, reason: 'test' });
    // 01:00 on 1 May in Shanghai, 17:00 on 30 April in UTC.
    await db.updateTable('points_entries').set({ created_at: new Date('2026-05-01T01:00:00+08:00') }).where('workspace_id', '=', ws.id).where('id', '=', e.entryId!).execute();
    const flow = await app.inject({ method: 'GET', url: '/api/v1/loyalty/reports/points-flow?from=2026-05-01&to=2026-05-02', headers: bearer(ws.adminToken) });
    expect(flow.statusCode).toBe(200);
    expect((flow.json() as { data: unknown[] }).data).toEqual([{ period: '2026-05-01', earn: 7, redeem: 0, expire: 0, adjust: 0, reverse: 0 }]);
    const monthly = await app.inject({ method: 'GET', url: '/api/v1/loyalty/reports/points-flow?from=2026-05-01&to=2026-06-01&granularity=month', headers: bearer(ws.adminToken) });
    expect((monthly.json() as { data: unknown[] }).data).toEqual([{ period: '2026-05', earn: 7, redeem: 0, expire: 0, adjust: 0, reverse: 0 }]);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/loyalty/reports/tiers?from=2026-02-30&to=2026-05-02', headers: bearer(ws.adminToken) });
    expect(bad.statusCode).toBe(400);
  });

  it('birthday gifts: 29 February on 1 March in other years, and birthdays written as ISO times', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    const gift = await createCouponTemplate(db, ws.id, { name: 'birthday', kind: 'fixed', amount: 30 });
    await setTiers(db, ws.id, [{ id: 'normal', name: '普通', rank: 0, threshold: 0, benefits: { birthdayCouponTemplateId: gift.id } }]);
    await ingestMessages(db, ws.id, [
      { type: 'identify', userId: 'leap-1', traits: { birthday: '1996-02-29' }, timestamp: new Date().toISOString() },
      { type: 'identify', userId: 'iso-1', traits: { birthday: '1992-08-08T00:00:00.000Z' }, timestamp: new Date().toISOString() },
    ]);
    const leap = await bindMemberCard(db, ws.id, { userId: 'leap-1' });
    const iso = await bindMemberCard(db, ws.id, { userId: 'iso-1' });
    const held = async (profileId: number) => (await listCoupons(db, ws.id, { profileId })).length;
    expect(await grantBirthdayGifts(db, ws.id, new Date('2027-02-28T12:00:00+08:00'))).toBe(0);
    expect(await grantBirthdayGifts(db, ws.id, new Date('2027-03-01T12:00:00+08:00'))).toBe(1);
    expect(await held(leap.profileId)).toBe(1);
    // In a leap year the day itself, and not 1 March again.
    expect(await grantBirthdayGifts(db, ws.id, new Date('2028-02-29T12:00:00+08:00'))).toBe(1);
    expect(await grantBirthdayGifts(db, ws.id, new Date('2028-03-01T12:00:00+08:00'))).toBe(0);
    expect(await grantBirthdayGifts(db, ws.id, new Date('2027-08-08T12:00:00+08:00'))).toBe(1);
    expect(await held(iso.profileId)).toBe(1);
  });

  it('check-in (verified, unchanged): one per local day, streaks across local midnight and daylight saving', async () => {
    const db = ctx.database.db;
    const sh = await newWorkspace(ctx.database); // Asia/Shanghai
    const p = newProfileId();
    // 23:50 and 00:10 local are one UTC day but two local days; 09:00 is another UTC day but the same local one.
    expect(await checkIn(db, sh.id, p, new Date('2026-05-01T23:50:00+08:00'))).toMatchObject({ day: '2026-05-01', streak: 1 });
    expect(await checkIn(db, sh.id, p, new Date('2026-05-02T00:10:00+08:00'))).toMatchObject({ day: '2026-05-02', streak: 2 });
    await expect(checkIn(db, sh.id, p, new Date('2026-05-02T09:00:00+08:00'))).rejects.toMatchObject({ code: 'conflict' });
    // A make-up at 00:30 local on 4 May (still 3 May in UTC) may fill 3 May: yesterday here.
    await updateLoyaltySettings(db, sh.id, { checkin: { points: 5, streakBonuses: [], makeUpCost: 0, makeUpWindowDays: 1 } });
    const q = newProfileId();
    await checkIn(db, sh.id, q, new Date('2026-05-02T12:00:00+08:00'));
    expect(await makeUpCheckIn(db, sh.id, q, '2026-05-03', new Date('2026-05-04T00:30:00+08:00'))).toMatchObject({ day: '2026-05-03', streak: 2 });

    // New York: 8 March 2026 has 23 hours, 1 November 25.
    const ny = await zoned('America/New_York');
    const r = newProfileId();
    await checkIn(db, ny.id, r, new Date('2026-03-07T23:30:00-05:00'));
    await checkIn(db, ny.id, r, new Date('2026-03-08T23:30:00-04:00'));
    expect(await checkIn(db, ny.id, r, new Date('2026-03-09T00:30:00-04:00'))).toMatchObject({ day: '2026-03-09', streak: 3 });
    expect(await checkinCalendar(db, ny.id, r, '2026-03', new Date('2026-03-09T23:59:00-04:00'))).toMatchObject({ currentStreak: 3, checkedInToday: true });
    const s2 = newProfileId();
    await checkIn(db, ny.id, s2, new Date('2026-11-01T00:30:00-04:00'));
    await expect(checkIn(db, ny.id, s2, new Date('2026-11-01T23:30:00-05:00'))).rejects.toMatchObject({ code: 'conflict' });
    expect(await checkIn(db, ny.id, s2, new Date('2026-11-02T00:10:00-05:00'))).toMatchObject({ day: '2026-11-02', streak: 2 });
  });

  it('points expiring on one local day are announced once for that day', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    await updateLoyaltySettings(db, ws.id, { expiry: { mode: 'lot', days: 365, years: 1, notifyDaysBefore: 7 } });
    await ingestMessages(db, ws.id, [{ type: 'identify', userId: 'expiring-1', traits: {}, timestamp: new Date().toISOString() }]);
    const p = (await bindMemberCard(db, ws.id, { userId: 'expiring-1' })).profileId;
    // Two lots ending on 10 May in Shanghai, at 07:00 (9 May in UTC) and 09:00 (10 May in UTC).
    await earnPoints(db, ws.id, { profileId: p, points: 10, reason: 'a', expiresAt: new Date('2026-05-10T07:00:00+08:00') });
    await earnPoints(db, ws.id, { profileId: p, points: 20, reason: 'b', expiresAt: new Date('2026-05-10T09:00:00+08:00') });
    expect(await announceExpiringPoints(db, ws.id, new Date('2026-05-09T12:00:00+08:00'))).toBe(1);
    await expireDuePoints(db, ws.id, new Date('2026-05-10T08:00:00+08:00'));
    expect(await announceExpiringPoints(db, ws.id, new Date('2026-05-10T08:00:00+08:00'))).toBe(0);
  });

  it('a make-up check-in or calendar for a day or month the calendar lacks is a 400, not a database error', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    await updateLoyaltySettings(db, ws.id, { checkin: { points: 5, streakBonuses: [], makeUpCost: 0, makeUpWindowDays: 7 } });
    const p = newProfileId();
    // 2026-02-30 would be read as 2 March, one day before "today", and reach the date column.
    await expect(makeUpCheckIn(db, ws.id, p, '2026-02-30', new Date('2026-03-03T12:00:00+08:00'))).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(checkinCalendar(db, ws.id, p, '2026-13', new Date('2026-03-03T12:00:00+08:00'))).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(checkinCalendar(db, ws.id, p, '0000-01', new Date('2026-03-03T12:00:00+08:00'))).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await checkinCalendar(db, ws.id, p, '2026-02', new Date('2026-03-03T12:00:00+08:00'))).toMatchObject({ month: '2026-02', days: [] });
  });

  it('a rolling tier window of N months ends on the last day of a shorter month', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database); // Asia/Shanghai
    await updateLoyaltySettings(db, ws.id, { tiers: { basis: 'points', period: 'rolling', rollingMonths: 1, graceDays: 30 } });
    const settings = await getLoyaltySettings(db, ws.id);
    const p = newProfileId();
    const e = await earnPoints(db, ws.id, { profileId: p, points: 100, reason: 'test' });
    await db.updateTable('points_entries').set({ created_at: new Date('2026-03-01T12:00:00+08:00') }).where('workspace_id', '=', ws.id).where('id', '=', e.entryId!).execute();
    // One month before 31 March 18:00 is 28 February 18:00, so 1 March counts (setUTCMonth gave 3 March).
    expect(await qualifyingValue(db, ws.id, p, settings, new Date('2026-03-31T18:00:00+08:00'))).toBe(100);
    // One month before 1 April 18:00 is 1 March 18:00: the noon credit has left the window.
    expect(await qualifyingValue(db, ws.id, p, settings, new Date('2026-04-01T18:00:00+08:00'))).toBe(0);
  });
});
