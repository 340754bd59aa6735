import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { Analytics } from '@segment/analytics-node';
import { describeEachDatabase } from '../support/databases.js';
import { buildTestServer, newWorkspace } from '../support/app.js';
import { profileOf, timeline } from '../support/ingest.js';

describeEachDatabase('the real @segment/analytics-node client', (ctx) => {
  let app: FastifyInstance;
  let host: string;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    await app.listen({ port: 0, host: '127.0.0.1' });
    host = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it('works against Siyu by changing only its host', async () => {
    const ws = await newWorkspace(ctx.database);
    const analytics = new Analytics({ writeKey: ws.writeKey, host, flushAt: 5, flushInterval: 50, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    analytics.identify({ userId: 'node-user', traits: { name: '周杰', email: 'zhou@example.com' } });
    analytics.track({ userId: 'node-user', event: 'Order Completed', properties: { total: 399, currency: 'CNY' } });
    analytics.page({ anonymousId: 'node-anon', name: 'Landing' });
    analytics.alias({ userId: 'node-user', previousId: 'node-anon' });
    analytics.group({ userId: 'node-user', groupId: 'vip-club', traits: { tier: 'gold' } });
    analytics.screen({ userId: 'node-user', name: 'Home' });
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(errors).toEqual([]);

    const profile = await profileOf(app, ws.adminToken, 'email', 'zhou@example.com');
    expect(profile.traits).toMatchObject({ name: '周杰' });
    expect(profile.identifiers.map((i) => i.type).sort()).toEqual(['anonymousId', 'email', 'userId']);
    const events = await timeline(app, ws.adminToken, profile.id);
    expect(events.map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
    expect(events.find((e) => e.type === 'track')).toMatchObject({ event: 'Order Completed', properties: { total: 399, currency: 'CNY' } });
  });

  it('reports a bad write key as a delivery error', async () => {
    const analytics = new Analytics({ writeKey: 'wk_wrong', host, flushAt: 1, maxRetries: 0 });
    const errors: unknown[] = [];
    analytics.on('error', (err) => errors.push(err));
    analytics.track({ userId: 'x', event: 'E' });
    await analytics.closeAndFlush({ timeout: 5_000 });
    expect(errors.length).toBeGreaterThan(0);
  });
});
