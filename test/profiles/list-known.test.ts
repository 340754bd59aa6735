import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch } from '../support/ingest.js';

// The profile list's kind=known reads known people from their identifiers other than anonymousIds (migration 0012,
// profiles/read.ts): every live profile with one is listed once, newest first, paged and searched; anonymous apart.
describeEachDatabase('profile list: known people', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('lists each live known person once, newest first, between newer anonymous visitors, paged and searched', async () => {
    const ws = await newWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const send = async (batch: unknown[]) => expect((await sendBatch(app, ws.writeKey, batch)).statusCode).toBe(200);
    const visitors = (from: number) => Array.from({ length: 4 }, (_, i) => ({ type: 'track', anonymousId: `lk-visitor-${from + i}`, event: 'Page Viewed', messageId: mid() }));
    await send([{ type: 'identify', userId: 'lk-1', anonymousId: 'lk-device-1', traits: { name: '甲', email: 'lk1@example.cn', phone: '13800000001' }, messageId: mid() }]);
    await send(visitors(0));
    await send([{ type: 'identify', userId: 'lk-2', traits: { name: '乙' }, messageId: mid() }]);
    await send(visitors(4));
    // A visitor who later signs in: the device's profile and the person's are one.
    await send([{ type: 'track', anonymousId: 'lk-device-3', event: 'Page Viewed', messageId: mid() }]);
    await send([{ type: 'identify', userId: 'lk-3', traits: { name: '丙' }, messageId: mid() }]);
    await send([{ type: 'identify', anonymousId: 'lk-device-3', userId: 'lk-3', messageId: mid() }]);
    await send(visitors(8));
    // Known by an email alone (no userId).
    await send([{ type: 'identify', anonymousId: 'lk-device-4', traits: { name: '丁', email: 'lk4@example.cn' }, messageId: mid() }]);
    await send(visitors(12));

    const known = [
      ...(await Promise.all(['lk-1', 'lk-2', 'lk-3'].map(async (u) => (await profileOf(app, ws.adminToken, 'userId', u)).id))),
      (await profileOf(app, ws.adminToken, 'email', 'lk4@example.cn')).id,
    ];
    known.sort((a, b) => b - a);
    expect((await profileOf(app, ws.adminToken, 'anonymousId', 'lk-device-3')).id).toBe((await profileOf(app, ws.adminToken, 'userId', 'lk-3')).id);
    const page = async (query: string) => {
      const res = await app.inject({ method: 'GET', url: `/api/v1/profiles?${query}`, headers });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { data: Array<{ id: number; traits: { name?: string } }>; nextCursor: string | null };
    };
    const all = await page('kind=known&limit=50');
    expect(all.data.map((p) => p.id)).toEqual(known);
    expect(all.nextCursor).toBeNull();

    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const next = await page(`kind=known&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...next.data.map((p) => p.id));
      cursor = next.nextCursor;
    } while (cursor);
    expect(paged).toEqual(known);

    expect((await page(`kind=known&q=${encodeURIComponent('乙')}`)).data.map((p) => p.traits.name)).toEqual(['乙']);
    expect((await page('kind=known&q=lk1@example.cn')).data.map((p) => p.traits.name)).toEqual(['甲']);
    expect((await page('kind=known&q=lk-visitor-2')).data).toEqual([]);
    const anonymous = (await page('kind=anonymous&limit=50')).data.map((p) => p.id);
    expect(anonymous).toHaveLength(16);
    expect(anonymous.filter((id) => known.includes(id))).toEqual([]);
  });
});
