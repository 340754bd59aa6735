import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, sendBatch } from '../support/ingest.js';

describeEachDatabase('overview stats and event schema', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('counts members, orders and GMV net of refunds per day, and lists the events seen', async () => {
    const ws = await newWorkspace(ctx.database);
    const today = new Date();
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 's1', context: { externalIds: [{ id: 'M1', type: 'member_no' }] }, messageId: mid() },
      { type: 'identify', userId: 's2', context: { externalIds: [{ id: 'M2', type: 'member_no' }, { id: 'o2', type: 'wechat_openid' }] }, messageId: mid() },
      { type: 'track', userId: 's2', event: 'Product Viewed', properties: { sku: 'A', price: 10 }, messageId: mid() },
      { type: 'track', userId: 's1', event: 'Product Viewed', properties: { sku: 'B', color: 'red' }, messageId: mid() },
    ]);
    const order = (orderId: string, total: number, refunded = 0) => ({
      orderId, customer: { userId: 's1' }, totalAmount: total, refundedAmount: refunded, status: refunded ? 'partially_refunded' : 'paid', orderedAt: today.toISOString(),
    });
    await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: { orders: [order('A1', 100), order('A2', 50, 20)] } });
    const res = await app.inject({ method: 'GET', url: '/api/v1/stats/overview?days=7', headers: bearer(ws.adminToken) });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { profiles: number; members: number; reachable: { wechat: number }; orders: Array<{ value: number }>; gmv: Array<{ value: number }>; newMembers: Array<{ value: number }> };
    expect(body).toMatchObject({ profiles: 2, members: 2, reachable: { wechat: 1 } });
    expect(body.orders.reduce((s, p) => s + p.value, 0)).toBe(2);
    expect(body.gmv.reduce((s, p) => s + p.value, 0)).toBe(130);
    expect(body.newMembers.reduce((s, p) => s + p.value, 0)).toBe(2);

    const schema = await app.inject({ method: 'GET', url: '/api/v1/events/schema', headers: bearer(ws.adminToken) });
    const viewed = (schema.json() as { data: Array<{ event: string | null; count: number; properties: string[] }> }).data.find((e) => e.event === 'Product Viewed');
    expect(viewed).toMatchObject({ count: 2, properties: ['color', 'price', 'sku'] });
  });
});
