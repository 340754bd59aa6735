import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';

describeEachDatabase('orders earn and lose points through the orders API', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('a paid order earns points once, however often it is sent; a refund reverses them', async () => {
    const ws = await newWorkspace(ctx.database);
    const order = { orderId: 'P-1', customer: { userId: 'earner' }, totalAmount: 300, items: [{ sku: 'A', quantity: 1, price: 300 }], orderedAt: new Date(Date.now() - 60_000).toISOString() };
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: order });
      expect(res.statusCode, res.body).toBe(200);
    }
    const ledger = async () =>
      (await sql<{ kind: string; total: number }>`SELECT kind, sum(points)::int AS total FROM points_entries WHERE workspace_id = ${ws.id} GROUP BY kind ORDER BY kind`.execute(ctx.database.db)).rows;
    const earned = await ledger();
    expect(earned.length).toBeGreaterThan(0);
    const before = earned.reduce((s, r) => s + r.total, 0);
    expect(before).toBeGreaterThan(0);
    const refund = await app.inject({ method: 'POST', url: '/api/v1/orders/P-1/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R1', amount: 300 } });
    expect(refund.statusCode, refund.body).toBe(200);
    const after = (await ledger()).reduce((s, r) => s + r.total, 0);
    expect(after).toBe(0);
  });
});
