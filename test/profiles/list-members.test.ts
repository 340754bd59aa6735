import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch } from '../support/ingest.js';

// The profile list's kind=members reads the members from their member numbers (migration 0011, profiles/read.ts):
// it must list every live member once, newest first, page by cursor and search like the other kinds.
describeEachDatabase('profile list: members', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('lists each live member once, newest first, between newer visitors, paged and searched', async () => {
    const ws = await newWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const set = await app.inject({ method: 'PUT', url: '/api/v1/identifier-settings/member_no', headers, payload: { priority: 100, maxPerProfile: 2 } });
    expect(set.statusCode, set.body).toBe(200);
    const member = (userId: string, name: string, ...numbers: string[]) => ({
      type: 'identify', userId, traits: { name }, context: { externalIds: numbers.map((id) => ({ id, type: 'member_no', collection: 'users', encoding: 'none' })) }, messageId: mid(),
    });
    const visitors = (from: number) => Array.from({ length: 5 }, (_, i) => ({ type: 'track', anonymousId: `lm-visitor-${from + i}`, event: 'Page Viewed', messageId: mid() }));
    const send = async (batch: unknown[]) => expect((await sendBatch(app, ws.writeKey, batch)).statusCode).toBe(200);
    await send([member('lm-1', '会员一', 'LM1'), member('lm-2', '会员二', 'LM2')]);
    await send(visitors(0));
    await send([member('lm-3', '会员三', 'LM3a', 'LM3b')]); // two member numbers: one profile
    await send(visitors(5));
    // A member captured on a device, then merged with a known person's profile.
    await send([{ type: 'identify', anonymousId: 'lm-device', traits: { name: '会员四' }, context: { externalIds: [{ id: 'LM4', type: 'member_no', collection: 'users', encoding: 'none' }] }, messageId: mid() }]);
    await send([{ type: 'identify', userId: 'lm-5', messageId: mid() }]);
    const before = [(await profileOf(app, ws.adminToken, 'anonymousId', 'lm-device')).id, (await profileOf(app, ws.adminToken, 'userId', 'lm-5')).id];
    await send([{ type: 'identify', anonymousId: 'lm-device', userId: 'lm-5', messageId: mid() }]);
    await send(visitors(10));

    const merged = await profileOf(app, ws.adminToken, 'member_no', 'LM4');
    expect((await profileOf(app, ws.adminToken, 'userId', 'lm-5')).id).toBe(merged.id);
    const absorbed = before.find((id) => id !== merged.id)!;
    const expected = await Promise.all(['LM1', 'LM2', 'LM3a', 'LM4'].map(async (no) => (await profileOf(app, ws.adminToken, 'member_no', no)).id));
    expected.sort((a, b) => b - a);

    const page = async (query: string) => {
      const res = await app.inject({ method: 'GET', url: `/api/v1/profiles?kind=members&${query}`, headers });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { data: Array<{ id: number; traits: { name?: string }; identifiers: Array<{ type: string; value: string }> }>; nextCursor: string | null };
    };
    const all = await page('limit=50');
    expect(all.data.map((p) => p.id)).toEqual(expected);
    expect(all.data.map((p) => p.id)).not.toContain(absorbed);
    expect(all.nextCursor).toBeNull();
    expect(all.data.find((p) => p.traits.name === '会员三')!.identifiers.filter((i) => i.type === 'member_no').map((i) => i.value).sort()).toEqual(['LM3a', 'LM3b']);

    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const next = await page(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...next.data.map((p) => p.id));
      cursor = next.nextCursor;
    } while (cursor);
    expect(paged).toEqual(expected);

    expect((await page(`q=${encodeURIComponent('会员二')}`)).data.map((p) => p.traits.name)).toEqual(['会员二']);
    expect((await page('q=LM3b')).data.map((p) => p.traits.name)).toEqual(['会员三']);
    expect((await page('q=lm-visitor-3')).data).toEqual([]);
    expect((await page(`q=${encodeURIComponent('会员')}&limit=2`)).data.map((p) => p.id)).toEqual(expected.slice(0, 2));
  });
});
