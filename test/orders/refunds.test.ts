import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';

describeEachDatabase('orders: refunds', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());
  const refund = (token: string, orderId: string, payload: unknown) =>
    app.inject({ method: 'POST', url: `/api/v1/orders/${orderId}/refunds`, headers: bearer(token), payload: payload as object });
  const read = async (token: string, orderId: string) => (await app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}`, headers: bearer(token) })).json();
  const points = async (workspaceId: string) =>
    (await sql<{ total: number | null }>`SELECT sum(points)::int AS total FROM points_entries WHERE workspace_id = ${workspaceId}`.execute(ctx.database.db)).rows[0]!.total ?? 0;

  it('a SKU on several lines: each refunded unit counts once', async () => {
    const ws = await newWorkspace(ctx.database);
    const created = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: {
      orderId: 'D-1', customer: { userId: 'dup-sku' }, totalAmount: 400, orderedAt: '2026-05-01T08:00:00Z',
      items: [{ sku: 'A', quantity: 1, price: 100 }, { sku: 'A', quantity: 2, price: 100 }, { sku: 'B', quantity: 1, price: 100 }],
    } });
    expect(created.statusCode, created.body).toBe(200);
    expect(await points(ws.id)).toBe(400);

    const first = await refund(ws.adminToken, 'D-1', { refundId: 'R-1', amount: 100, items: [{ sku: 'A', quantity: 1 }] });
    expect(first.json()).toMatchObject({ applied: true, refundedAmount: 100 });
    expect((await read(ws.adminToken, 'D-1')).items.map((i: { refundedQuantity: number }) => i.refundedQuantity)).toEqual([1, 0, 0]);
    expect(await points(ws.id)).toBe(300); // one unit of 100 out of 400 paid

    // The same SKU twice in one refund, and the rest of A across lines; a fourth unit of A was never bought.
    expect((await refund(ws.adminToken, 'D-1', { refundId: 'R-2', amount: 200, items: [{ sku: 'A', quantity: 1 }, { sku: 'A', quantity: 1 }] })).statusCode).toBe(200);
    expect((await read(ws.adminToken, 'D-1')).items.map((i: { refundedQuantity: number }) => i.refundedQuantity)).toEqual([1, 2, 0]);
    const tooMany = await refund(ws.adminToken, 'D-1', { refundId: 'R-3', amount: 50, items: [{ sku: 'A', quantity: 1 }] });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'body.items' }] } });
    expect(await read(ws.adminToken, 'D-1')).toMatchObject({ refundedAmount: 300, status: 'partially_refunded' });
    expect(await points(ws.id)).toBe(100);
  });

  it('a retried refund applies once; the same refund id with another amount or items is a 409', async () => {
    const ws = await newWorkspace(ctx.database);
    await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: {
      orderId: 'D-2', customer: { userId: 'retry' }, totalAmount: 300, orderedAt: '2026-05-01T08:00:00Z', items: [{ sku: 'A', quantity: 3, price: 100 }],
    } });
    const body = { refundId: 'R-1', amount: 100, items: [{ sku: 'A', quantity: 1 }] };
    expect((await refund(ws.adminToken, 'D-2', body)).json()).toMatchObject({ applied: true, refundedAmount: 100 });
    expect((await refund(ws.adminToken, 'D-2', body)).json()).toMatchObject({ applied: false, refundedAmount: 100 });
    const otherAmount = await refund(ws.adminToken, 'D-2', { ...body, amount: 200 });
    expect(otherAmount.statusCode).toBe(409);
    expect(otherAmount.json()).toMatchObject({ error: { code: 'conflict', details: [{ path: 'body.refundId' }] } });
    expect((await refund(ws.adminToken, 'D-2', { ...body, items: [{ sku: 'A', quantity: 2 }] })).statusCode).toBe(409);
    expect(await read(ws.adminToken, 'D-2')).toMatchObject({ refundedAmount: 100, items: [{ refundedQuantity: 1 }] });
    // The order says which refunds were recorded, so a shop can reconcile its refund ids.
    await refund(ws.adminToken, 'D-2', { refundId: 'R-2', amount: 50, refundedAt: '2026-05-03T10:00:00+08:00' });
    const refunds = [ // by refund time: R-1 was recorded without one, so now
      { refundId: 'R-2', amount: 50, items: null, refundedAt: '2026-05-03T02:00:00.000Z' },
      { refundId: 'R-1', amount: 100, items: [{ sku: 'A', quantity: 1 }] },
    ];
    expect((await read(ws.adminToken, 'D-2')).refunds).toMatchObject(refunds);
    const listed = await app.inject({ method: 'GET', url: '/api/v1/orders', headers: bearer(ws.adminToken) });
    expect(listed.json().data[0]).toMatchObject({ orderId: 'D-2', refunds });
  });

  it('a refund of an order not yet paid keeps it pending until the paid version; one of a cancelled order keeps it cancelled', async () => {
    const ws = await newWorkspace(ctx.database);
    const order = (orderId: string, status: string) => app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: {
      orderId, status, customer: { userId: 'early-refund' }, totalAmount: 300, orderedAt: '2026-05-01T08:00:00Z', items: [{ sku: 'A', quantity: 3, price: 100 }],
    } });
    await order('E-1', 'pending');
    expect((await refund(ws.adminToken, 'E-1', { refundId: 'R-1', amount: 100 })).json()).toMatchObject({ applied: true, status: 'pending', refundedAmount: 100 });
    expect(await read(ws.adminToken, 'E-1')).toMatchObject({ status: 'pending', refundedAmount: 100 });
    expect(await points(ws.id)).toBe(0); // nothing was paid: nothing earns
    await order('E-1', 'pending');
    expect(await read(ws.adminToken, 'E-1')).toMatchObject({ status: 'pending' });
    await order('E-1', 'paid');
    expect(await read(ws.adminToken, 'E-1')).toMatchObject({ status: 'partially_refunded', refundedAmount: 100 });
    expect(await points(ws.id)).toBe(200);

    await order('E-2', 'paid');
    await order('E-2', 'cancelled');
    expect((await refund(ws.adminToken, 'E-2', { refundId: 'R-1', amount: 300 })).json()).toMatchObject({ applied: true, status: 'cancelled', refundedAmount: 300 });
    expect(await read(ws.adminToken, 'E-2')).toMatchObject({ status: 'cancelled', refundedAmount: 300 });
    expect(await points(ws.id)).toBe(200);
  });
});

