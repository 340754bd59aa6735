import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, sendBatch } from '../support/ingest.js';

// The event schema's property names are read per event by index (analytics/overview.ts): each group must still get
// only its own events' names, events without a name included, from its latest 200 events.
describeEachDatabase('event schema property names', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('lists each type and event with the property names of its own latest events, unnamed events included', async () => {
    const ws = await newWorkspace(ctx.database);
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const res = await sendBatch(app, ws.writeKey, [
      { type: 'track', userId: 'es-1', event: 'Home', properties: { tracked: 1 }, timestamp: at(5), messageId: mid() },
      { type: 'page', userId: 'es-1', name: 'Home', properties: { paged: 1 }, timestamp: at(5), messageId: mid() },
      { type: 'page', userId: 'es-1', properties: { unnamed_page: 1 }, timestamp: at(5), messageId: mid() },
      { type: 'screen', userId: 'es-1', properties: { unnamed_screen: 1 }, timestamp: at(5), messageId: mid() },
      { type: 'identify', userId: 'es-1', traits: { name: '甲' }, timestamp: at(5), messageId: mid() },
      // 'Tick': an old event with a name no later one has, then 200 newer ones.
      { type: 'track', userId: 'es-1', event: 'Tick', properties: { only_old: 1 }, timestamp: at(600), messageId: mid() },
      ...Array.from({ length: 200 }, (_, i) => ({ type: 'track', userId: 'es-1', event: 'Tick', properties: { n: i }, timestamp: at(300 - i), messageId: mid() })),
    ]);
    expect(res.statusCode, res.body).toBe(200);
    const schema = await app.inject({ method: 'GET', url: '/api/v1/events/schema', headers: bearer(ws.adminToken) });
    expect(schema.statusCode, schema.body).toBe(200);
    const rows = (schema.json() as { data: Array<{ type: string; event: string | null; count: number; properties: string[] }> }).data;
    const of = (type: string, event: string | null) => rows.find((r) => r.type === type && r.event === event);
    expect(rows).toHaveLength(6);
    expect(of('track', 'Home')).toMatchObject({ count: 1, properties: ['tracked'] });
    expect(of('page', 'Home')).toMatchObject({ count: 1, properties: ['paged'] });
    expect(of('page', null)).toMatchObject({ count: 1, properties: ['unnamed_page'] });
    expect(of('screen', null)).toMatchObject({ count: 1, properties: ['unnamed_screen'] });
    expect(of('identify', null)).toMatchObject({ count: 1, properties: [] });
    expect(of('track', 'Tick')).toMatchObject({ count: 201, properties: ['n'] });
    expect(rows[0]).toMatchObject({ event: 'Tick' }); // most events first
  });

  it('answers an empty list for a workspace without events', async () => {
    const ws = await newWorkspace(ctx.database);
    const schema = await app.inject({ method: 'GET', url: '/api/v1/events/schema', headers: bearer(ws.adminToken) });
    expect(schema.json()).toEqual({ data: [] });
  });
});
