import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';

const order = (orderId: string, customer: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  orderId, customer, totalAmount: 300, items: [{ sku: 'A', quantity: 3, price: 100 }], orderedAt: '2026-05-01T08:00:00+08:00', ...extra,
});

describeEachDatabase('orders: the same order sent in parallel', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());
  const post = (token: string, payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(token), payload: payload as object });
  const facts = async (workspaceId: string) => {
    const count = async (q: ReturnType<typeof sql<{ n: number }>>) => (await q.execute(ctx.database.db)).rows[0]!.n;
    return {
      orders: await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM orders WHERE workspace_id = ${workspaceId}`),
      completed: await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM events WHERE workspace_id = ${workspaceId} AND event = 'Order Completed'`),
      earned: await count(sql<{ n: number }>`SELECT coalesce(sum(points), 0)::int AS n FROM points_entries WHERE workspace_id = ${workspaceId} AND kind = 'earn'`),
    };
  };

  it('one order, one Order Completed, points once, however many copies race', async () => {
    const ws = await newWorkspace(ctx.database);
    const same = await Promise.all(Array.from({ length: 8 }, () => post(ws.adminToken, order('C-1', { userId: 'racer' }))));
    expect(same.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(same.map((r) => r.json().data[0].outcome).sort()).toEqual(['created', ...Array(7).fill('unchanged')]);
    expect(await facts(ws.id)).toEqual({ orders: 1, completed: 1, earned: 300 });
  });

  it('copies naming the customer by different identifiers: no 500, still one order', async () => {
    const ws = await newWorkspace(ctx.database);
    // A shop's paid callback names the member number, its order sync the phone: no identity lock in common.
    const customers = [{ externalIds: [{ type: 'member_no', id: 'M-7' }] }, { phone: '13900007777' }, { userId: 'u-7' }, { email: 'seven@example.com' }];
    const sent = await Promise.all(Array.from({ length: 8 }, (_, i) => post(ws.adminToken, order('C-2', customers[i % customers.length]!))));
    expect(sent.map((r) => r.statusCode), sent.map((r) => r.body).join('\n')).toEqual(Array(8).fill(200));
    expect(sent.filter((r) => r.json().data[0].outcome === 'created')).toHaveLength(1);
    expect(await facts(ws.id)).toMatchObject({ orders: 1, completed: 1 });
    // Each copy names its own customer, and the order's points follow the customer of the version that landed last
    // (loyalty/order-plan.ts): 300 points once, all with the order's profile, whatever moved in between.
    const held = await sql<{ profile_id: number; n: number }>`
      SELECT profile_id, sum(points)::int AS n FROM points_entries WHERE workspace_id = ${ws.id} GROUP BY profile_id HAVING sum(points) <> 0`.execute(ctx.database.db);
    const owner = await sql<{ profile_id: number }>`SELECT profile_id FROM orders WHERE workspace_id = ${ws.id}`.execute(ctx.database.db);
    expect(held.rows.map((r) => [Number(r.profile_id), r.n])).toEqual([[Number(owner.rows[0]!.profile_id), 300]]);
  });
});
