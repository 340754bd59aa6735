import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

describeEachDatabase('loyalty HTTP API: lists, edits, settings, report days', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  async function session() {
    const ws = await newWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const call = (method: Method, url: string, payload?: unknown) => app.inject({ method, url, headers, payload: payload as never });
    return { ws, call };
  }

  it('lists coupon campaigns newest first, by status, a page at a time', async () => {
    const { call } = await session();
    const t = (await call('POST', '/api/v1/loyalty/coupon-templates', { name: 'five off', kind: 'fixed', amount: 5 })).json() as { id: string };
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const created = await call('POST', '/api/v1/loyalty/coupon-campaigns', { templateId: t.id, profileIds: [10 + i, 20 + i] });
      expect(created.statusCode).toBe(202);
      ids.push((created.json() as { id: string }).id);
      expect((await call('POST', `/api/v1/loyalty/coupon-campaigns/${ids[i]}/run`)).json()).toMatchObject({ status: 'done', issued: 2 });
    }
    const all = (await call('GET', '/api/v1/loyalty/coupon-campaigns')).json() as { data: Array<{ id: string; status: string }>; nextBefore: string | null };
    expect(all.data.map((c) => c.id)).toEqual([...ids].reverse());
    expect(all.nextBefore).toBeNull();
    expect((await call('GET', '/api/v1/loyalty/coupon-campaigns?status=running')).json()).toMatchObject({ data: [] });
    expect(((await call('GET', '/api/v1/loyalty/coupon-campaigns?status=done')).json() as { data: unknown[] }).data).toHaveLength(3);
    const first = (await call('GET', '/api/v1/loyalty/coupon-campaigns?limit=2')).json() as { data: Array<{ id: string }>; nextBefore: string };
    expect(first.data.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    const second = (await call('GET', `/api/v1/loyalty/coupon-campaigns?limit=2&before=${first.nextBefore}`)).json() as { data: Array<{ id: string }>; nextBefore: string | null };
    expect(second).toEqual({ data: [expect.objectContaining({ id: ids[0] })], nextBefore: null });
    expect((await call('GET', '/api/v1/loyalty/coupon-campaigns?status=nonsense')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/loyalty/coupon-campaigns?before=nope')).statusCode).toBe(404);
  });

  it('edits a coupon template: anything before issue; after it, the terms are fixed and stock never drops below issued', async () => {
    const { call } = await session();
    const t = (await call('POST', '/api/v1/loyalty/coupon-templates', { name: 'ten off', kind: 'fixed', amount: 10, totalStock: 5 })).json() as { id: string };
    const url = `/api/v1/loyalty/coupon-templates/${t.id}`;
    expect((await call('PATCH', url, { kind: 'percentage' })).statusCode).toBe(400); // a percentage needs percentOff
    expect((await call('PATCH', url, { kind: 'percentage', percentOff: 15, maxDiscount: 30 })).json()).toMatchObject({ kind: 'percentage', percentOff: 15, maxDiscount: 30, name: 'ten off', totalStock: 5 });
    expect((await call('PATCH', url, { amount: -1 })).statusCode).toBe(400);
    expect((await call('POST', '/api/v1/loyalty/coupons', { templateId: t.id, profileId: 7 })).statusCode).toBe(201);
    expect((await call('POST', '/api/v1/loyalty/coupons', { templateId: t.id, profileId: 8 })).statusCode).toBe(201);
    const terms = await call('PATCH', url, { percentOff: 50 });
    expect(terms.statusCode).toBe(409);
    expect(terms.json()).toMatchObject({ error: { code: 'conflict' } });
    expect((await call('PATCH', url, { scope: { skus: ['A'] } })).statusCode).toBe(409);
    expect((await call('PATCH', url, { totalStock: 1 })).statusCode).toBe(400);
    const edited = await call('PATCH', url, { name: '85折', totalStock: 2, validDays: 7, percentOff: 15, status: 'paused' }); // unchanged terms are fine
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ name: '85折', totalStock: 2, validDays: 7, status: 'paused', issuedCount: 2 });
    expect((await call('PATCH', url, { totalStock: 100, status: 'active' })).json()).toMatchObject({ totalStock: 100, status: 'active' });
    expect((await call('PATCH', '/api/v1/loyalty/coupon-templates/nope', { name: 'x' })).statusCode).toBe(404);
  });

  it('edits a points-mall item: what it is stays once exchanged; price, stock (not below exchanged) and the rest change', async () => {
    const { call } = await session();
    const bound = (await call('POST', '/api/v1/loyalty/members/bind', { userId: 'mall-edit' })).json() as { member: { profileId: number } };
    const profileId = bound.member.profileId;
    await call('POST', '/api/v1/loyalty/points/earn', { profileId, points: 1000, reason: 'seed' });
    const item = (await call('POST', '/api/v1/loyalty/mall/items', { name: 'mug', kind: 'goods', sku: 'MUG', pointsPrice: 100, stock: 10 })).json() as { id: string };
    const url = `/api/v1/loyalty/mall/items/${item.id}`;
    expect((await call('PATCH', url, { kind: 'coupon' })).statusCode).toBe(400); // a coupon item needs a template
    expect((await call('PATCH', url, { pointsPrice: 0 })).statusCode).toBe(400);
    expect((await call('PATCH', url, { pointsPrice: 150 })).json()).toMatchObject({ pointsPrice: 150, sku: 'MUG', stock: 10 });
    const exchanged = await call('POST', '/api/v1/loyalty/mall/exchange', { profileId, itemId: item.id, quantity: 3, idempotencyKey: 'mug-1' });
    expect(exchanged.json()).toMatchObject({ points: 450 });
    expect((await call('PATCH', url, { sku: 'CUP' })).statusCode).toBe(409);
    expect((await call('PATCH', url, { stock: 2 })).statusCode).toBe(400);
    expect((await call('PATCH', url, { stock: 3, name: 'big mug', perMemberLimit: 5, status: 'paused' })).json()).toMatchObject({ stock: 3, name: 'big mug', perMemberLimit: 5, status: 'paused', exchanged: 3 });
    expect((await call('PATCH', '/api/v1/loyalty/mall/items/nope', { name: 'x' })).statusCode).toBe(404);
  });

  it('a mall item id that is taken is a 409 and the item stays as it was', async () => {
    const { call } = await session();
    const first = await call('POST', '/api/v1/loyalty/mall/items', { id: 'mug', name: 'mug', kind: 'goods', sku: 'MUG', pointsPrice: 100 });
    expect(first.statusCode).toBe(201);
    const again = await call('POST', '/api/v1/loyalty/mall/items', { id: 'mug', name: 'cup', kind: 'goods', sku: 'CUP', pointsPrice: 5 });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'conflict' } });
    const items = (await call('GET', '/api/v1/loyalty/mall/items')).json() as { data: Array<{ id: string; name: string; pointsPrice: number }> };
    expect(items.data.filter((i) => i.id === 'mug')).toEqual([expect.objectContaining({ name: 'mug', pointsPrice: 100 })]);
  });

  it('settings: typed sections validated and documented; a section not given is kept', async () => {
    const { call } = await session();
    expect((await call('PUT', '/api/v1/loyalty/settings', { checkin: { points: 9 } })).statusCode).toBe(200);
    const bad = await call('PUT', '/api/v1/loyalty/settings', { expiry: { mode: 'sometimes' } });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { error: { details: Array<{ path: string }> } }).error.details[0]!.path).toBe('body.expiry.mode');
    expect((await call('PUT', '/api/v1/loyalty/settings', { pointValue: 0.05 })).json()).toMatchObject({ pointValue: 0.05, checkin: { points: 9 } });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, { put?: { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } } }> };
    const body = doc.paths['/api/v1/loyalty/settings']!.put!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(body.properties ?? {})).toEqual(expect.arrayContaining(['expiry', 'orderEarning', 'checkin', 'tiers', 'eventRules', 'pointValue']));
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/loyalty/coupon-campaigns', '/api/v1/loyalty/mall/items/{id}']));
  });

  it('points-flow days are the workspace time zone\'s days', async () => {
    const { ws, call } = await session(); // Asia/Shanghai, UTC+8
    const bound = (await call('POST', '/api/v1/loyalty/members/bind', { userId: 'tz-1' })).json() as { member: { profileId: number } };
    const earned = (await call('POST', '/api/v1/loyalty/points/earn', { profileId: bound.member.profileId, points: 40, reason: 'late night' })).json() as { entryId: number };
    // 17:30 UTC on 1 March is 01:30 on 2 March in Shanghai.
    await ctx.database.db.updateTable('points_entries').set({ created_at: new Date('2026-03-01T17:30:00Z') }).where('workspace_id', '=', ws.id).where('id', '=', earned.entryId).execute();
    const flow = (await call('GET', '/api/v1/loyalty/reports/points-flow?from=2026-02-28T00:00:00Z&to=2026-03-05T00:00:00Z')).json() as { data: Array<{ period: string; earn: number }> };
    expect(flow.data).toEqual([expect.objectContaining({ period: '2026-03-02', earn: 40 })]);
  });

  it('a manual adjustment upgrades the tier at once, as an earn does', async () => {
    const { call } = await session();
    await call('PUT', '/api/v1/loyalty/settings', { tiers: { basis: 'points', period: 'rolling', rollingMonths: 12, graceDays: 30 } });
    expect((await call('PUT', '/api/v1/loyalty/tiers', { tiers: [{ id: 'normal', name: '普通', rank: 0, threshold: 0 }, { id: 'silver', name: '银卡', rank: 1, threshold: 500 }] })).statusCode).toBe(200);
    const bound = (await call('POST', '/api/v1/loyalty/members/bind', { userId: 'adjust-tier' })).json() as { member: { profileId: number } };
    const url = `/api/v1/loyalty/members/${bound.member.profileId}`;
    expect((await call('GET', url)).json()).toMatchObject({ tierId: 'normal' });
    expect((await call('POST', '/api/v1/loyalty/points/adjust', { profileId: bound.member.profileId, points: 600, reason: 'compensation' })).statusCode).toBe(200);
    expect((await call('GET', url)).json()).toMatchObject({ tierId: 'silver' });
  });
});
