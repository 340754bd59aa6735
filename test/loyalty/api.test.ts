import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';

describeEachDatabase('loyalty HTTP API', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('admin binds a card; the member token drives the member API; reports and OpenAPI reflect it', async () => {
    const ws = await newWorkspace(ctx.database);
    const admin = bearer(ws.adminToken);
    const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers = admin) => app.inject({ method, url, headers, payload: payload as never });

    expect((await call('PUT', '/api/v1/loyalty/settings', { checkin: { points: 5 }, pointValue: 0.02 })).statusCode).toBe(200);
    const bound = await call('POST', '/api/v1/loyalty/members/bind', { userId: 'api-user-1', joinChannel: 'h5' });
    expect(bound.statusCode).toBe(200);
    const { member, memberToken } = bound.json() as { member: { profileId: number; memberNo: string }; memberToken: string };
    const me = bearer(memberToken);

    const earn = await call('POST', '/api/v1/loyalty/points/earn', { profileId: member.profileId, points: 300, reason: 'welcome', idempotencyKey: 'w-1' });
    expect(earn.json()).toMatchObject({ balance: 300, replayed: false });
    const bad = await call('POST', '/api/v1/loyalty/points/redeem', { profileId: member.profileId, points: -3, reason: 'x' });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('body.points');
    const over = await call('POST', '/api/v1/loyalty/points/redeem', { profileId: member.profileId, points: 301, reason: 'x' });
    expect(over.statusCode).toBe(409);
    expect(over.json()).toMatchObject({ error: { code: 'insufficient_points' } });

    const template = (await call('POST', '/api/v1/loyalty/coupon-templates', { name: '满100减10', kind: 'threshold', threshold: 100, amount: 10 })).json() as { id: string };
    const item = (await call('POST', '/api/v1/loyalty/mall/items', { name: '券', kind: 'coupon', templateId: template.id, pointsPrice: 100 })).json() as { id: string };

    expect((await app.inject({ method: 'GET', url: '/api/v1/member/card', headers: me })).json()).toMatchObject({ memberNo: member.memberNo });
    expect((await app.inject({ method: 'GET', url: '/api/v1/member/card' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/member/card', headers: admin })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/member/mall/exchange', payload: { nonsense: true } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/api/v1/member/mall/exchange', headers: me, payload: { nonsense: true } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/v1/member/checkin', headers: me })).json()).toMatchObject({ streak: 1, points: 5 });
    const exchange = await app.inject({ method: 'POST', url: '/api/v1/member/mall/exchange', headers: me, payload: { itemId: item.id, idempotencyKey: 'k1' } });
    expect(exchange.json()).toMatchObject({ points: 100, balance: 205 });
    const coupons = (await app.inject({ method: 'GET', url: '/api/v1/member/coupons', headers: me })).json() as { data: { code: string }[] };
    expect(coupons.data.length).toBe(1);
    const redeem = await call('POST', '/api/v1/loyalty/coupons/redeem', {
      profileId: member.profileId, orderId: 'A-1', items: [{ sku: 'X', price: 120, quantity: 1 }], codes: [coupons.data[0]!.code],
    });
    expect(redeem.json()).toMatchObject({ totalDiscount: 10 });
    const points = (await app.inject({ method: 'GET', url: '/api/v1/member/points', headers: me })).json() as { balance: number; entries: unknown[] };
    expect(points).toMatchObject({ balance: 205 });
    expect(points.entries.length).toBe(3);

    const liability = (await call('GET', '/api/v1/loyalty/reports/points-liability')).json();
    expect(liability).toMatchObject({ outstandingPoints: 205, outstandingValue: 4.1, holders: 1 });
    const funnel = (await call('GET', '/api/v1/loyalty/reports/coupon-funnel')).json() as { data: unknown[] };
    expect(funnel.data).toEqual([expect.objectContaining({ templateId: template.id, issued: 1, redeemed: 1, redemptionRate: 1, gmv: 120 })]);
    const today = new Date();
    const flow = (await call('GET', `/api/v1/loyalty/reports/points-flow?from=${new Date(today.getTime() - 86_400_000).toISOString()}&to=${new Date(today.getTime() + 86_400_000).toISOString()}`)).json() as { data: Array<Record<string, number>> };
    expect(flow.data.reduce((s, p) => s + (p.earn ?? 0), 0)).toBe(305);
    expect(flow.data.reduce((s, p) => s + (p.redeem ?? 0), 0)).toBe(100);
    const tiers = (await call('GET', `/api/v1/loyalty/reports/tiers?from=2020-01-01&to=2100-01-01`)).json();
    expect(tiers).toMatchObject({ distribution: [{ tierId: null, members: 1 }] });

    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/loyalty/points/earn', '/api/v1/loyalty/coupons/redeem', '/api/v1/member/mall/exchange']));
  });
});
