import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch } from '../support/ingest.js';

// The timeline reads each event name's newest page, unnamed events and orders apart, then merges them
// (profiles/timeline.ts): every page must still be the next rows of one stream ordered by (time, kind, id), newest
// first, whatever the page size, ties across names, kinds and unnamed events included.
describeEachDatabase('profile timeline pages', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('pages through named and unnamed events and orders as one stream, ties included, for any page size and kind', async () => {
    const ws = await newWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const t = (minute: number) => new Date(Date.UTC(2026, 0, 1, 12, minute)).toISOString();
    const user = 'tl-1';
    const res = await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: user, traits: { name: '时间线' }, timestamp: t(0), messageId: mid() },
      { type: 'page', userId: user, properties: { path: '/' }, timestamp: t(1), messageId: mid() },
      { type: 'page', userId: user, name: 'Home', timestamp: t(1), messageId: mid() },
      ...[0, 1, 2].map(() => ({ type: 'track', userId: user, event: 'A', timestamp: t(2), messageId: mid() })),
      { type: 'track', userId: user, event: 'B', timestamp: t(2), messageId: mid() },
      ...[3, 4, 5, 6].map((m) => ({ type: 'track', userId: user, event: m % 2 ? 'B' : 'C', timestamp: t(m), messageId: mid() })),
      { type: 'identify', userId: user, traits: { city: '杭州' }, timestamp: t(5), messageId: mid() },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const order = (orderId: string, minute: number) => ({ orderId, customer: { userId: user }, totalAmount: 10, status: 'paid', orderedAt: t(minute) });
    const orders = await app.inject({ method: 'POST', url: '/api/v1/orders', headers, payload: { orders: [order('TL-1', 2), order('TL-2', 2), order('TL-3', 6)] } });
    expect(orders.statusCode, orders.body).toBe(200);
    const p = await profileOf(app, ws.adminToken, 'userId', user);

    // The stream as the tables hold it, ordered by (time, kind, id) newest first.
    const { db } = ctx.database;
    const ev = await sql<{ id: string; ts: Date }>`SELECT id::text AS id, "timestamp" AS ts FROM events WHERE workspace_id = ${ws.id} AND profile_id = ${p.id}`.execute(db);
    const od = await sql<{ id: string; ts: Date }>`SELECT order_id AS id, ordered_at AS ts FROM orders WHERE workspace_id = ${ws.id} AND profile_id = ${p.id}`.execute(db);
    const all = [...ev.rows.map((r) => ({ kind: 'event', id: r.id, key: r.id.padStart(20, '0'), ts: r.ts.getTime() })), ...od.rows.map((r) => ({ kind: 'order', id: r.id, key: r.id, ts: r.ts.getTime() }))];
    const cmp = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);
    all.sort((a, b) => b.ts - a.ts || cmp(a.kind, b.kind) || cmp(a.key, b.key));
    expect(all.length).toBeGreaterThanOrEqual(15); // and the events the orders record
    const expected = (kind?: string) => all.filter((r) => !kind || r.kind === kind).map((r) => `${r.kind}:${r.id}`);

    const read = async (limit: number, kind?: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url = `/api/v1/profiles/${p.id}/events?limit=${limit}${kind ? `&kind=${kind}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await app.inject({ method: 'GET', url, headers });
        expect(page.statusCode, page.body).toBe(200);
        const body = page.json() as { data: Array<{ kind: string; id: string }>; nextCursor: string | null };
        expect(body.data.length).toBeLessThanOrEqual(limit);
        seen.push(...body.data.map((r) => `${r.kind}:${r.id}`));
        cursor = body.nextCursor;
      } while (cursor);
      return seen;
    };
    for (const limit of [1, 2, 3, 500]) expect(await read(limit)).toEqual(expected());
    expect(await read(2, 'event')).toEqual(expected('event'));
    expect(await read(2, 'order')).toEqual(expected('order'));
  });
});
