import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';

// Shop systems re-send orders and deliver their messages out of order: a version never undoes a later fact.
const order = (orderId: string, extra: Record<string, unknown> = {}) => ({
  orderId,
  customer: { userId: `buyer-${orderId}` },
  storeId: 'store-sh-1',
  channel: 'mini_program',
  totalAmount: 300,
  items: [{ sku: 'A', quantity: 1, price: 100 }, { sku: 'B', quantity: 2, price: 100 }],
  orderedAt: '2026-05-01T08:00:00+08:00',
  ...extra,
});

describeEachDatabase('orders: versions arriving late or repeated', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());
  const post = (token: string, payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(token), payload: payload as object });
  const read = async (token: string, orderId: string) => (await app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}`, headers: bearer(token) })).json();
  const points = async (workspaceId: string) =>
    (await sql<{ total: number | null }>`SELECT sum(points)::int AS total FROM points_entries WHERE workspace_id = ${workspaceId}`.execute(ctx.database.db)).rows[0]!.total ?? 0;

  it('a paid order re-sent after a refund stays refunded, with its refunded items and points', async () => {
    const ws = await newWorkspace(ctx.database);
    expect((await post(ws.adminToken, order('V-1'))).statusCode).toBe(200);
    const refund = await app.inject({ method: 'POST', url: '/api/v1/orders/V-1/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R-1', amount: 100, items: [{ sku: 'A', quantity: 1 }] } });
    expect(refund.json()).toMatchObject({ applied: true, status: 'partially_refunded' });
    const pointsAfterRefund = await points(ws.id);

    const again = await post(ws.adminToken, order('V-1'));
    expect(again.json()).toMatchObject({ data: [{ orderId: 'V-1', outcome: 'unchanged' }] });
    expect(await read(ws.adminToken, 'V-1')).toMatchObject({ status: 'partially_refunded', refundedAmount: 100, items: [{ sku: 'A', refundedQuantity: 1 }, { sku: 'B', refundedQuantity: 0 }] });
    expect(await points(ws.id)).toBe(pointsAfterRefund);

    // The shop's own snapshot of a partial refund, then a stale "paid": the refund stays.
    await post(ws.adminToken, order('V-2', { status: 'partially_refunded', refundedAmount: 120 }));
    await post(ws.adminToken, order('V-2'));
    expect(await read(ws.adminToken, 'V-2')).toMatchObject({ status: 'partially_refunded', refundedAmount: 120 });
  });

  it('a refund that arrives before the paid version: the order stays refunded and never earns', async () => {
    const ws = await newWorkspace(ctx.database);
    await post(ws.adminToken, order('V-3', { status: 'refunded', refundedAmount: 300, refundedAt: '2026-05-02T10:00:00+08:00' }));
    const paid = await post(ws.adminToken, order('V-3', { paidAt: '2026-05-01T08:01:00+08:00' }));
    expect(paid.statusCode, paid.body).toBe(200);
    expect(await read(ws.adminToken, 'V-3')).toMatchObject({ status: 'refunded', refundedAmount: 300, refundedAt: '2026-05-02T02:00:00.000Z', paidAt: '2026-05-01T00:01:00.000Z' });
    expect(await points(ws.id)).toBe(0);

    // "refunded" without an amount means the whole order: analytics must not count it as sales.
    await post(ws.adminToken, order('V-4', { status: 'refunded' }));
    expect(await read(ws.adminToken, 'V-4')).toMatchObject({ status: 'refunded', refundedAmount: 300 });
  });

  it('a cancelled order stays cancelled when a paid version arrives later', async () => {
    const ws = await newWorkspace(ctx.database);
    await post(ws.adminToken, order('V-5', { status: 'cancelled', cancelledAt: '2026-05-01T09:00:00+08:00' }));
    await post(ws.adminToken, order('V-5'));
    expect(await read(ws.adminToken, 'V-5')).toMatchObject({ status: 'cancelled', cancelledAt: '2026-05-01T01:00:00.000Z' });
    expect(await points(ws.id)).toBe(0);
    const events = (await sql<{ event: string }>`SELECT event FROM events WHERE workspace_id = ${ws.id}`.execute(ctx.database.db)).rows.map((r) => r.event);
    expect(events).toEqual(['Order Cancelled']);
  });

  it('versions of one order in one request apply in the order sent', async () => {
    const ws = await newWorkspace(ctx.database);
    const res = await post(ws.adminToken, { orders: [order('V-6'), order('V-6', { status: 'refunded', refundedAmount: 300 }), order('V-6')] });
    expect(res.json()).toMatchObject({ data: [{ orderId: 'V-6', outcome: 'created' }] });
    expect(await read(ws.adminToken, 'V-6')).toMatchObject({ status: 'refunded', refundedAmount: 300 });
    expect(await points(ws.id)).toBe(0);
  });

  it('a refund-only version (no items, store or channel) keeps what it leaves out', async () => {
    const ws = await newWorkspace(ctx.database);
    await post(ws.adminToken, order('V-7', { properties: { coupon: 'SPRING' } }));
    const { storeId: _s, channel: _c, items: _i, ...bare } = order('V-7', { status: 'refunded', refundedAmount: 300 });
    expect((await post(ws.adminToken, bare)).json()).toMatchObject({ data: [{ outcome: 'updated' }] });
    expect(await read(ws.adminToken, 'V-7')).toMatchObject({
      status: 'refunded', refundedAmount: 300, storeId: 'store-sh-1', channel: 'mini_program', properties: { coupon: 'SPRING' }, items: [{ sku: 'A' }, { sku: 'B' }],
    });
    // A refund row that leaves out the discount, shipping and currency (a refunds export): the order keeps them, and
    // the amount paid with them.
    await post(ws.adminToken, order('V-14', { currency: 'USD', discountAmount: 50, shippingAmount: 10 }));
    await post(ws.adminToken, { orderId: 'V-14', customer: { userId: 'buyer-V-14' }, totalAmount: 300, orderedAt: '2026-05-01T08:00:00+08:00', status: 'refunded' });
    expect(await read(ws.adminToken, 'V-14')).toMatchObject({ currency: 'USD', discountAmount: 50, shippingAmount: 10, paidAmount: 260, refundedAmount: 260, status: 'refunded' });
    await post(ws.adminToken, order('V-15', { paidAmount: 280 }));
    await post(ws.adminToken, order('V-15', { status: 'partially_refunded', refundedAmount: 30 }));
    expect(await read(ws.adminToken, 'V-15')).toMatchObject({ paidAmount: 280, refundedAmount: 30 });
    // A corrected order is still a correction: new items and amounts replace the old.
    await post(ws.adminToken, order('V-8'));
    await post(ws.adminToken, order('V-8', { totalAmount: 100, items: [{ sku: 'C', quantity: 1, price: 100 }] }));
    expect(await read(ws.adminToken, 'V-8')).toMatchObject({ paidAmount: 100, items: [{ sku: 'C', quantity: 1 }] });
  });

  it("a new order's status follows the refunded amount it is sent with", async () => {
    const ws = await newWorkspace(ctx.database);
    await post(ws.adminToken, { orders: [order('V-9', { refundedAmount: 100 }), order('V-10', { status: 'partially_refunded', refundedAmount: 300 })] });
    expect(await read(ws.adminToken, 'V-9')).toMatchObject({ status: 'partially_refunded', refundedAmount: 100 });
    expect(await read(ws.adminToken, 'V-10')).toMatchObject({ status: 'refunded', refundedAmount: 300 });
    const listed = await app.inject({ method: 'GET', url: '/api/v1/orders?status=partially_refunded', headers: bearer(ws.adminToken) });
    expect(listed.json().data.map((o: { orderId: string }) => o.orderId)).toEqual(['V-9']);
    // "refunded" with a fee kept back is still the shop's word that the order is closed, sent first or later.
    await post(ws.adminToken, { orders: [order('V-12', { status: 'refunded', refundedAmount: 290 }), order('V-13'), order('V-13', { status: 'refunded', refundedAmount: 290 })] });
    expect(await read(ws.adminToken, 'V-12')).toMatchObject({ status: 'refunded', refundedAmount: 290 });
    expect(await read(ws.adminToken, 'V-13')).toMatchObject({ status: 'refunded', refundedAmount: 290 });
    const fee = await app.inject({ method: 'POST', url: '/api/v1/orders/V-12/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'fee', amount: 5 } });
    expect(fee.json()).toMatchObject({ applied: true, status: 'refunded', refundedAmount: 295 });
  });

  it('each refund is one Order Refunded event whose total is what that refund returned', async () => {
    const ws = await newWorkspace(ctx.database);
    await post(ws.adminToken, order('V-11'));
    await app.inject({ method: 'POST', url: '/api/v1/orders/V-11/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R-1', amount: 100 } });
    // The shop's own record of that refund, with another change: not a second refund.
    await post(ws.adminToken, order('V-11', { status: 'partially_refunded', refundedAmount: 100, channel: 'store' }));
    await post(ws.adminToken, order('V-11', { status: 'partially_refunded', refundedAmount: 250 }));
    await post(ws.adminToken, order('V-11', { status: 'refunded', refundedAmount: 300 }));
    const refunds = (await sql<{ total: number }>`
      SELECT (properties->>'total')::float8 AS total FROM events WHERE workspace_id = ${ws.id} AND event = 'Order Refunded' ORDER BY id`.execute(ctx.database.db)).rows;
    expect(refunds.map((r) => r.total)).toEqual([100, 150, 50]);
    expect(await read(ws.adminToken, 'V-11')).toMatchObject({ status: 'refunded', refundedAmount: 300, channel: 'mini_program' });
  });
});

