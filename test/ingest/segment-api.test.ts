import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { basic, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch, timeline } from '../support/ingest.js';

describeEachDatabase('Segment tracking API', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('accepts every call type with Basic auth or writeKey in the body', async () => {
    const ws = await newWorkspace(ctx.database);
    const calls: Array<[string, Record<string, unknown>]> = [
      ['identify', { userId: 'u-1', traits: { name: '王芳', email: 'Wang.Fang@Example.com' } }],
      ['track', { userId: 'u-1', event: 'Product Viewed', properties: { sku: 'SK-1' } }],
      ['page', { userId: 'u-1', name: 'Home', category: 'shop' }],
      ['screen', { userId: 'u-1', name: 'Cart' }],
      ['group', { userId: 'u-1', groupId: 'household-9', traits: { size: 3 } }],
      ['alias', { userId: 'u-1', previousId: 'anon-77' }],
    ];
    for (const [type, body] of calls) {
      const res = await app.inject({ method: 'POST', url: `/v1/${type}`, headers: basic(ws.writeKey), payload: { ...body, messageId: mid(type) } });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(200);
      expect(res.json()).toMatchObject({ success: true, accepted: 1 });
    }
    const inBody = await app.inject({ method: 'POST', url: '/v1/track', payload: { writeKey: ws.writeKey, userId: 'u-1', event: 'Signed In' } });
    expect(inBody.statusCode).toBe(200);

    const profile = await profileOf(app, ws.adminToken, 'email', 'wang.fang@example.com');
    expect(profile.traits).toMatchObject({ name: '王芳' });
    expect(profile.identifiers.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['anonymousId:anon-77', 'email:wang.fang@example.com', 'userId:u-1']);
    const events = await timeline(app, ws.adminToken, profile.id);
    expect(events.map((e) => e.type).sort()).toEqual(['alias', 'group', 'identify', 'page', 'screen', 'track', 'track']);
    expect(events.find((e) => e.type === 'page')?.event).toBe('Home');
  });

  it('rejects bad keys with 401 and bad messages with 400 naming the index', async () => {
    const ws = await newWorkspace(ctx.database);
    const bad = await app.inject({ method: 'POST', url: '/v1/track', headers: basic('wk_nope'), payload: { userId: 'x', event: 'E' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const admin = await app.inject({ method: 'POST', url: '/v1/track', headers: basic(ws.adminToken), payload: { userId: 'x', event: 'E' } });
    expect(admin.statusCode).toBe(401);

    const res = await sendBatch(app, ws.writeKey, [
      { type: 'track', userId: 'ok', event: 'Fine', messageId: mid() },
      { type: 'track', event: 'No Id', messageId: mid() },
      { type: 'explode', userId: 'u' },
      { type: 'track', userId: 'u' },
      { type: 'identify', userId: 'null', messageId: mid() },
    ]);
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as { error: { code: string; details: Array<{ index: number; path: string; message: string }> } };
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.index)).toEqual([1, 2, 3, 4]);
    expect(error.details[1]!.message).toContain('unknown message type');
    expect(error.details[2]!.path).toBe('batch[3].event');
    expect(error.details[3]!.message).toContain('placeholder');
    // All or nothing: the valid first message was not stored either.
    const lookup = await app.inject({ method: 'GET', url: '/api/v1/profiles/lookup?type=userId&value=ok', headers: { authorization: `Bearer ${ws.adminToken}` } });
    expect(lookup.statusCode).toBe(404);
  });

  it('enforces 32 KB per message and 500 KB per batch, and answers malformed JSON with 400', async () => {
    const ws = await newWorkspace(ctx.database);
    const big = 'x'.repeat(33 * 1024);
    const tooBigMessage = await sendBatch(app, ws.writeKey, [{ type: 'track', userId: 'u', event: 'E' }, { type: 'track', userId: 'u', event: 'E', properties: { big } }]);
    expect(tooBigMessage.statusCode).toBe(400);
    expect(tooBigMessage.json()).toMatchObject({ error: { details: [{ index: 1 }] } });
    const single = await app.inject({ method: 'POST', url: '/v1/track', headers: basic(ws.writeKey), payload: { userId: 'u', event: 'E', properties: { big } } });
    expect(single.statusCode).toBe(400);
    expect(single.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    const batch = Array.from({ length: 20 }, () => ({ type: 'track', userId: 'u', event: 'E', properties: { chunk: 'y'.repeat(30 * 1024) } }));
    const tooBigBatch = await sendBatch(app, ws.writeKey, batch);
    expect(tooBigBatch.statusCode).toBe(400);
    expect(tooBigBatch.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    const malformed = await app.inject({ method: 'POST', url: '/v1/batch', headers: { ...basic(ws.writeKey), 'content-type': 'application/json' }, payload: '{"batch": [' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('applies a retried batch once (messageId de-duplication)', async () => {
    const ws = await newWorkspace(ctx.database);
    const batch = [
      { type: 'identify', userId: 'dup-user', traits: { plan: 'gold' }, messageId: mid('d') },
      { type: 'track', userId: 'dup-user', event: 'Order Completed', messageId: mid('d') },
    ];
    const first = await sendBatch(app, ws.writeKey, batch);
    expect(first.json()).toMatchObject({ accepted: 2, duplicates: 0 });
    const [again, concurrent] = await Promise.all([sendBatch(app, ws.writeKey, batch), sendBatch(app, ws.writeKey, [...batch, batch[1]])]);
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(concurrent.json()).toMatchObject({ accepted: 0, duplicates: 3 });
    const profile = await profileOf(app, ws.adminToken, 'userId', 'dup-user');
    expect(await timeline(app, ws.adminToken, profile.id)).toHaveLength(2);
  });

  it("corrects the device clock: timestamp = receivedAt − (sentAt − originalTimestamp)", async () => {
    const ws = await newWorkspace(ctx.database);
    // The device clock is 2 hours ahead; the event happened 10 s before it was sent.
    const skew = 2 * 3600_000;
    const sentAt = new Date(Date.now() + skew);
    const original = new Date(sentAt.getTime() - 10_000);
    const before = Date.now();
    await sendBatch(app, ws.writeKey, [{ type: 'track', userId: 'clock', event: 'Tapped', timestamp: original.toISOString(), messageId: mid() }].map((m) => ({ ...m, sentAt: sentAt.toISOString() })));
    const after = Date.now();
    const profile = await profileOf(app, ws.adminToken, 'userId', 'clock');
    const [event] = await timeline(app, ws.adminToken, profile.id);
    const ts = new Date(event!.timestamp).getTime();
    expect(ts).toBeGreaterThanOrEqual(before - 10_000 - 5);
    expect(ts).toBeLessThanOrEqual(after - 10_000 + 5);
  });

  it('never uses placeholder ids as identifiers', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'p-1', anonymousId: 'undefined', traits: { email: 'null', phone: '0' }, messageId: mid() },
      { type: 'identify', userId: 'p-2', anonymousId: 'undefined', traits: { email: '[object Object]' }, messageId: mid() },
    ]);
    const one = await profileOf(app, ws.adminToken, 'userId', 'p-1');
    const two = await profileOf(app, ws.adminToken, 'userId', 'p-2');
    expect(one.id).not.toBe(two.id);
    expect(one.identifiers).toEqual([expect.objectContaining({ type: 'userId', value: 'p-1' })]);
  });
});
