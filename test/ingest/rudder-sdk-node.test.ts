import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import Analytics from '@rudderstack/rudder-sdk-node';
import { describeEachDatabase } from '../support/databases.js';
import { buildTestServer, newWorkspace } from '../support/app.js';
import { profileOf, timeline } from '../support/ingest.js';

/**
 * RudderStack's server SDK against Siyu, changing only its data plane address. It gzips every batch
 * (Content-Encoding: gzip) and adds its own envelope fields (timestamp, sentAt) and message metadata.
 */
describeEachDatabase('the real @rudderstack/rudder-sdk-node client', (ctx) => {
  let app: FastifyInstance;
  let dataPlaneUrl: string;
  const encodings: Array<string | undefined> = [];
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    app.server.on('request', (request) => {
      if (request.url === '/v1/batch') encodings.push(request.headers['content-encoding']);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    dataPlaneUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it('works against Siyu by changing only its data plane URL (gzipped batches)', async () => {
    const ws = await newWorkspace(ctx.database);
    const errors: unknown[] = [];
    const client = new Analytics(ws.writeKey, { dataPlaneUrl, flushAt: 20, flushInterval: 60_000, retryCount: 0, logLevel: 'error', errorHandler: (err) => errors.push(err) });
    client.identify({ userId: 'rs-user', traits: { name: '林雪', phone: '13900001111' }, context: { externalIds: [{ id: 'oRS_1', type: 'wechat_openid', collection: 'users', encoding: 'none' }] } });
    client.track({ userId: 'rs-user', event: 'Order Completed', properties: { total: 259, currency: 'CNY' } });
    client.page({ anonymousId: 'rs-anon', name: 'Landing', properties: { path: '/h5/landing' } });
    client.alias({ userId: 'rs-user', previousId: 'rs-anon' });
    client.group({ userId: 'rs-user', groupId: 'store-sh-01', traits: { city: '上海' } });
    client.screen({ userId: 'rs-user', name: 'Member Card' });
    await client.flush();
    expect(errors).toEqual([]);
    expect(encodings.at(-1)).toBe('gzip');

    const profile = await profileOf(app, ws.adminToken, 'phone', '+8613900001111');
    expect(profile.traits).toMatchObject({ name: '林雪' });
    expect(profile.identifiers.map((i) => i.type).sort()).toEqual(['anonymousId', 'phone', 'userId', 'wechat_openid']);
    const events = await timeline(app, ws.adminToken, profile.id);
    expect(events.map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track']);
    expect(events.find((e) => e.type === 'track')).toMatchObject({ event: 'Order Completed', properties: { total: 259, currency: 'CNY' } });

    // Flushing the same messages again (a retry after a lost answer) applies nothing twice: messageIds are kept.
    const before = events.length;
    const again = new Analytics(ws.writeKey, { dataPlaneUrl, flushAt: 20, flushInterval: 60_000, retryCount: 0, logLevel: 'error', errorHandler: (err) => errors.push(err) });
    client.track({ userId: 'rs-user', event: 'Coupon Viewed', messageId: 'rs-fixed-1' } as Parameters<typeof client.track>[0]);
    again.track({ userId: 'rs-user', event: 'Coupon Viewed', messageId: 'rs-fixed-1' } as Parameters<typeof client.track>[0]);
    await client.flush();
    await again.flush();
    expect(errors).toEqual([]);
    expect((await timeline(app, ws.adminToken, profile.id)).length).toBe(before + 1);
  });

  it('a wrong write key reaches its error handler as a 401', async () => {
    const errors: Array<{ response?: { status?: number } }> = [];
    const client = new Analytics('wk_wrong', { dataPlaneUrl, flushAt: 20, flushInterval: 60_000, retryCount: 0, logLevel: 'error', errorHandler: (err) => errors.push(err as { response?: { status?: number } }) });
    client.track({ userId: 'x', event: 'E' });
    await client.flush();
    expect(errors.map((e) => e.response?.status)).toEqual([401]);
  });
});
