import zlib from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { basic, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, timeline } from '../support/ingest.js';

/**
 * What SDKs send besides plain JSON on the long paths: analytics.js's short paths, Segment's /v1/import, CORS for
 * pages, and compressed bodies (RudderStack's server SDKs gzip every batch by default).
 */
describeEachDatabase('ingest for browser and server SDKs', (ctx) => {
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

  it('takes a batch compressed as RudderStack\'s node SDK sends it (gzip), or with deflate or br, within the uncompressed limits', async () => {
    const ws = await newWorkspace(ctx.database);
    const batchOf = (event: string) => ({ batch: [{ type: 'track', userId: 'rs-1', event, properties: { sku: 'LJ-SERUM-30' }, messageId: mid() }], timestamp: new Date(), sentAt: new Date() });
    const post = (encoding: string, body: Buffer) =>
      app.inject({ method: 'POST', url: '/v1/batch', headers: { ...basic(ws.writeKey), 'content-encoding': encoding, 'user-agent': 'analytics-node/3.0.13' }, payload: body });
    const json = (v: unknown) => Buffer.from(JSON.stringify(v));
    for (const [encoding, body] of [
      ['gzip', zlib.gzipSync(json(batchOf('Gzipped')))],
      ['deflate', zlib.deflateSync(json(batchOf('Deflated')))],
      ['deflate', zlib.deflateRawSync(json(batchOf('Raw deflated')))],
      ['br', zlib.brotliCompressSync(json(batchOf('Brotli')))],
      ['identity', json(batchOf('Plain'))],
    ] as const) {
      const res = await post(encoding, body);
      expect(res.statusCode, `${encoding}: ${res.body}`).toBe(200);
    }
    const profile = await profileOf(app, ws.adminToken, 'userId', 'rs-1');
    expect((await timeline(app, ws.adminToken, profile.id)).map((e) => e.event).sort()).toEqual(['Brotli', 'Deflated', 'Gzipped', 'Plain', 'Raw deflated']);

    // 600 KB of JSON gzips to a few KB: the limit is on what it inflates to, and inflating stops there.
    const big = { batch: Array.from({ length: 3_000 }, (_, i) => ({ type: 'track', userId: 'rs-1', event: 'Big', properties: { pad: 'x'.repeat(180) }, messageId: `big-${i}` })) };
    const tooBig = await post('gzip', zlib.gzipSync(json(big)));
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json()).toMatchObject({ error: { code: 'payload_too_large', message: expect.stringContaining('inflates past the limit of 512000 bytes') } });
    expect((await post('gzip', json(batchOf('Not gzip')))).json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining('not valid gzip') } });
    expect((await post('compress', json(batchOf('LZW')))).json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining('"compress" is not supported') } });
  });
});
