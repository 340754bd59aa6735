import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch, timeline } from '../support/ingest.js';

describeEachDatabase('orders: reading them back', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it("a profile merged into another lists the survivor's orders, as its timeline shows them", async () => {
    const ws = await newWorkspace(ctx.database);
    const post = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload });
    await post({ orderId: 'M-1', customer: { phone: '13900002222' }, totalAmount: 10, orderedAt: '2026-05-01T00:00:00Z' });
    await post({ orderId: 'M-2', customer: { userId: 'merge-me' }, totalAmount: 10, orderedAt: '2026-05-02T00:00:00Z' });
    const byPhone = await profileOf(app, ws.adminToken, 'phone', '13900002222');
    const byUser = await profileOf(app, ws.adminToken, 'userId', 'merge-me');
    expect(byPhone.id).not.toBe(byUser.id);
    await sendBatch(app, ws.writeKey, [{ type: 'identify', userId: 'merge-me', traits: { phone: '13900002222' }, messageId: mid() }]);
    const survivor = (await profileOf(app, ws.adminToken, 'userId', 'merge-me')).id;

    for (const id of [byPhone.id, byUser.id]) {
      const listed = await app.inject({ method: 'GET', url: `/api/v1/orders?profileId=${id}`, headers: bearer(ws.adminToken) });
      expect(listed.json().data.map((o: { orderId: string; profileId: number }) => [o.orderId, o.profileId])).toEqual([['M-2', survivor], ['M-1', survivor]]);
      expect((await timeline(app, ws.adminToken, id)).filter((e) => e.kind === 'order').map((e) => e.id)).toEqual(['M-2', 'M-1']);
    }
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/orders?profileId=987654321', headers: bearer(ws.adminToken) });
    expect(unknown.json()).toEqual({ data: [], nextCursor: null });
  });
});
