import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch, timeline } from '../support/ingest.js';

const order = (orderId: string, extra: Record<string, unknown> = {}) => ({
  orderId,
  customer: { externalIds: [{ type: 'member_no', id: 'M-100' }], phone: '13900001111' },
  storeId: 'store-sh-1',
  channel: 'mini_program',
  totalAmount: 598,
  discountAmount: 50,
  items: [
    { sku: 'SERUM-30', name: '精华液 30ml', category: 'skincare', quantity: 1, price: 398 },
    { sku: 'MASK-5', name: '面膜 5片', category: 'skincare', quantity: 2, price: 75 },
  ],
  orderedAt: '2026-05-01T08:00:00Z',
  ...extra,
});

describeEachDatabase('orders', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());
  const post = (token: string, payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(token), payload: payload as object });

  it('stores an order on the profile of its customer, idempotent by order id', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [{ type: 'identify', userId: 'buyer', traits: { phone: '139 0000 1111' }, messageId: mid() }]);
    const first = await post(ws.adminToken, order('SO-1'));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ data: [{ orderId: 'SO-1', outcome: 'created' }] });
    const again = await post(ws.adminToken, order('SO-1'));
    expect(again.json()).toMatchObject({ data: [{ outcome: 'unchanged' }] });

    const buyer = await profileOf(app, ws.adminToken, 'userId', 'buyer');
    expect(buyer.identifiers.map((i) => i.type)).toContain('member_no'); // the order linked the member number
    const read = await app.inject({ method: 'GET', url: '/api/v1/orders/SO-1', headers: bearer(ws.adminToken) });
    expect(read.json()).toMatchObject({ profileId: buyer.id, paidAmount: 548, status: 'paid', items: [{ sku: 'SERUM-30' }, { sku: 'MASK-5', quantity: 2 }] });
    const entries = await timeline(app, ws.adminToken, buyer.id);
    expect(entries.filter((e) => e.kind === 'order')).toHaveLength(1);
    expect(entries.filter((e) => e.event === 'Order Completed')).toHaveLength(1);
  });

  it('updates an order when it changes and records each refund once', async () => {
    const ws = await newWorkspace(ctx.database);
    await post(ws.adminToken, order('SO-2'));
    const refund = { refundId: 'R-1', amount: 150, items: [{ sku: 'MASK-5', quantity: 2 }] };
    const r1 = await app.inject({ method: 'POST', url: '/api/v1/orders/SO-2/refunds', headers: bearer(ws.adminToken), payload: refund });
    expect(r1.json()).toMatchObject({ applied: true, status: 'partially_refunded', refundedAmount: 150 });
    const r2 = await app.inject({ method: 'POST', url: '/api/v1/orders/SO-2/refunds', headers: bearer(ws.adminToken), payload: refund });
    expect(r2.json()).toMatchObject({ applied: false, refundedAmount: 150 });
    const tooMuch = await app.inject({ method: 'POST', url: '/api/v1/orders/SO-2/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R-2', amount: 500 } });
    expect(tooMuch.statusCode).toBe(400);
    const rest = await app.inject({ method: 'POST', url: '/api/v1/orders/SO-2/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R-3', amount: 398 } });
    expect(rest.json()).toMatchObject({ status: 'refunded', refundedAmount: 548 });

    const cancelled = await post(ws.adminToken, { orders: [order('SO-3'), order('SO-3', { status: 'cancelled', cancelledAt: '2026-05-01T09:00:00Z' })] });
    expect(cancelled.json()).toMatchObject({ data: [{ orderId: 'SO-3', outcome: 'created' }] });
    const read = await app.inject({ method: 'GET', url: '/api/v1/orders/SO-3', headers: bearer(ws.adminToken) });
    expect(read.json()).toMatchObject({ status: 'cancelled' });
  });

  it('rejects invalid orders with the offending index and field', async () => {
    const ws = await newWorkspace(ctx.database);
    const res = await post(ws.adminToken, { orders: [order('OK-1'), order('BAD-1', { totalAmount: -5 }), order('BAD-2', { customer: { userId: 'null' } })] });
    expect(res.statusCode).toBe(400);
    const details = (res.json() as { error: { details: Array<{ index: number; path: string }> } }).error.details;
    expect(details.map((d) => [d.index, d.path])).toEqual([[1, 'orders[1].totalAmount'], [2, 'orders[2].customer']]);
    const none = await app.inject({ method: 'GET', url: '/api/v1/orders/OK-1', headers: bearer(ws.adminToken) });
    expect(none.statusCode).toBe(404);
  });
});
