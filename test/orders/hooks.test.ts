import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { onOrdersWritten } from '../../src/platform/hooks.js';

// A handler that fails once per workspace named here, after the order committed (as loyalty may: a deadlock, a
// dropped connection). It stays registered for the worker's other files, where it does nothing.
const failing = new Map<string, { failures: number; calls: string[][] }>();
onOrdersWritten('test-orders-retry', async (_db, workspaceId, orderIds) => {
  const probe = failing.get(workspaceId);
  if (!probe) return;
  probe.calls.push(orderIds);
  if (probe.failures > 0) {
    probe.failures--;
    throw new Error('handler failed after the commit');
  }
});

describeEachDatabase('orders: a retry after a failed orders-written handler runs it again', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('for a created order and for a refund', async () => {
    const ws = await newWorkspace(ctx.database);
    const probe = { failures: 1, calls: [] as string[][] };
    failing.set(ws.id, probe);
    const order = { orderId: 'H-1', customer: { userId: 'hook' }, totalAmount: 100, orderedAt: '2026-05-01T08:00:00Z' };
    const post = () => app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: order });
    expect((await post()).statusCode).toBe(500);
    const retry = await post();
    expect(retry.json()).toMatchObject({ data: [{ orderId: 'H-1', outcome: 'unchanged' }] });
    expect(probe.calls).toEqual([['H-1'], ['H-1']]);

    probe.failures = 1;
    const refund = () => app.inject({ method: 'POST', url: '/api/v1/orders/H-1/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R-1', amount: 40 } });
    expect((await refund()).statusCode).toBe(500);
    expect((await refund()).json()).toMatchObject({ applied: false, refundedAmount: 40 });
    expect(probe.calls).toEqual([['H-1'], ['H-1'], ['H-1'], ['H-1']]);
  });
});
