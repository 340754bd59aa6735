import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { basic, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, timeline } from '../support/ingest.js';

/** What browser SDKs need besides the long paths: analytics.js's short paths, Segment's /v1/import, and CORS. */
describeEachDatabase('ingest for browser SDKs', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('answers a preflight for the headers the page asks to send, and lets any origin read every answer', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/track',
      headers: { origin: 'https://h5.lanji.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,anonymousid' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'authorization,content-type,anonymousid',
    });
    const ws = await newWorkspace(ctx.database);
    const ok = await app.inject({ method: 'POST', url: '/v1/track', headers: { ...basic(ws.writeKey), origin: 'https://h5.lanji.example' }, payload: { userId: 'u', event: 'E', messageId: mid() } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    // Errors too: the page must be able to read why it was refused.
    const refused = await app.inject({ method: 'POST', url: '/v1/t', headers: { ...basic('wk_wrong'), origin: 'https://h5.lanji.example' }, payload: { userId: 'u', event: 'E' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('*');
    // The admin API is not opened to other origins.
    const admin = await app.inject({ method: 'OPTIONS', url: '/api/v1/profiles', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(admin.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes each call on its short path (text/plain, writeKey in the body, userId null) and batches on /v1/b and /v1/import', async () => {
    const ws = await newWorkspace(ctx.database);
    const send = (url: string, body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: JSON.stringify({ writeKey: ws.writeKey, userId: null, anonymousId: 'anon-web', messageId: mid(), ...body }) });
    for (const [url, body] of [
      ['/v1/p', { name: 'Home' }],
      ['/v1/t', { event: 'Product Viewed' }],
      ['/v1/s', { name: 'Cart' }],
      ['/v1/g', { groupId: 'club' }],
      ['/v1/i', { userId: 'web-1', traits: { email: 'web1@example.com' } }],
      ['/v1/a', { userId: 'web-1', previousId: 'anon-web' }],
    ] as const) {
      const res = await send(url, body);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    }
    const wrongType = await send('/v1/t', { type: 'page', name: 'x' });
    expect(wrongType.json()).toMatchObject({ error: { code: 'invalid_request', message: 'body.type is "page" but this is /v1/track' } });
    for (const url of ['/v1/b', '/v1/import']) {
      const res = await send(url, { batch: [{ type: 'track', anonymousId: 'anon-web', event: `Batched ${url}`, messageId: mid() }] });
      expect(res.statusCode, res.body).toBe(200);
    }
    const profile = await profileOf(app, ws.adminToken, 'email', 'web1@example.com');
    const events = await timeline(app, ws.adminToken, profile.id);
    expect(events.map((e) => `${e.type} ${e.event ?? ''}`).sort()).toEqual(
      ['alias ', 'group ', 'identify ', 'page Home', 'screen Cart', 'track Batched /v1/b', 'track Batched /v1/import', 'track Product Viewed'].sort(),
    );
  });
});
