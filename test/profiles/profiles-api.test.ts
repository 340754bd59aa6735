import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch } from '../support/ingest.js';

describeEachDatabase('profiles admin API', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('lists and searches live profiles by identifier or name, paging by cursor', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, Array.from({ length: 5 }, (_, i) => ({ type: 'identify', userId: `list-${i}`, traits: { name: i === 3 ? '欧阳娜娜' : `客户${i}` }, messageId: mid() })));
    const page1 = await app.inject({ method: 'GET', url: '/api/v1/profiles?limit=2', headers: bearer(ws.adminToken) });
    const body1 = page1.json() as { data: Array<{ id: number }>; nextCursor: string };
    expect(body1.data).toHaveLength(2);
    const page2 = await app.inject({ method: 'GET', url: `/api/v1/profiles?limit=2&cursor=${body1.nextCursor}`, headers: bearer(ws.adminToken) });
    const body2 = page2.json() as { data: Array<{ id: number }> };
    expect(body2.data[0]!.id).toBeLessThan(body1.data[1]!.id);
    const byName = await app.inject({ method: 'GET', url: `/api/v1/profiles?q=${encodeURIComponent('欧阳')}`, headers: bearer(ws.adminToken) });
    expect((byName.json() as { data: Array<{ traits: { name: string } }> }).data.map((p) => p.traits.name)).toEqual(['欧阳娜娜']);
    const byId = await app.inject({ method: 'GET', url: '/api/v1/profiles?q=list-2', headers: bearer(ws.adminToken) });
    expect((byId.json() as { data: unknown[] }).data).toHaveLength(1);
    const badCursor = await app.inject({ method: 'GET', url: '/api/v1/profiles?cursor=abc', headers: bearer(ws.adminToken) });
    expect(badCursor.statusCode).toBe(400);
  });

  it('lists members, known people or anonymous visitors apart (kind), with search and paging', async () => {
    const ws = await newWorkspace(ctx.database);
    const ext = (id: string) => ({ externalIds: [{ type: 'member_no', id, collection: 'users', encoding: 'none' }] });
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'k-member-1', traits: { name: '会员甲' }, context: ext('M001'), messageId: mid() },
      { type: 'identify', anonymousId: 'k-anon-member', traits: { name: '会员乙' }, context: ext('M002'), messageId: mid() },
      { type: 'identify', userId: 'k-known', traits: { name: '注册用户' }, messageId: mid() },
      { type: 'track', anonymousId: 'k-visitor-1', event: 'Page Viewed', messageId: mid() },
      { type: 'track', anonymousId: 'k-visitor-2', event: 'Page Viewed', messageId: mid() },
    ]);
    const names = async (query: string) => {
      const res = await app.inject({ method: 'GET', url: `/api/v1/profiles?${query}`, headers: bearer(ws.adminToken) });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { data: Array<{ traits: { name?: string }; identifiers: Array<{ value: string }> }>; nextCursor: string | null };
      return body.data.map((p) => p.traits.name ?? p.identifiers[0]!.value).sort();
    };
    expect(await names('kind=members')).toEqual(['会员乙', '会员甲'].sort());
    expect(await names('kind=known')).toEqual(['会员乙', '会员甲', '注册用户'].sort());
    expect(await names('kind=anonymous')).toEqual(['k-visitor-1', 'k-visitor-2']);
    expect(await names('kind=all')).toHaveLength(5);
    expect(await names('')).toHaveLength(5);
    expect(await names(`kind=members&q=${encodeURIComponent('乙')}`)).toEqual(['会员乙']);
    expect(await names(`kind=anonymous&q=${encodeURIComponent('会员')}`)).toEqual([]);
    const first = (await app.inject({ method: 'GET', url: '/api/v1/profiles?kind=known&limit=2', headers: bearer(ws.adminToken) })).json() as { nextCursor: string };
    const rest = (await app.inject({ method: 'GET', url: `/api/v1/profiles?kind=known&limit=2&cursor=${first.nextCursor}`, headers: bearer(ws.adminToken) })).json() as { data: unknown[]; nextCursor: string | null };
    expect([rest.data.length, rest.nextCursor]).toEqual([1, null]);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/profiles?kind=vip', headers: bearer(ws.adminToken) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('query.kind');
  });

  it('updates traits as an operator (newest value wins) and pages a timeline', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'tl', traits: { city: '上海' }, timestamp: '2026-01-01T00:00:00Z', messageId: mid() },
      ...Array.from({ length: 7 }, (_, i) => ({ type: 'track', userId: 'tl', event: `E${i}`, timestamp: `2026-01-0${i + 2}T00:00:00Z`, messageId: mid() })),
    ]);
    const p = await profileOf(app, ws.adminToken, 'userId', 'tl');
    const patched = await app.inject({ method: 'PATCH', url: `/api/v1/profiles/${p.id}/traits`, headers: bearer(ws.adminToken), payload: { traits: { city: '杭州', vip: true } } });
    expect(patched.json()).toMatchObject({ traits: { city: '杭州', vip: true } });
    const empty = await app.inject({ method: 'PATCH', url: `/api/v1/profiles/${p.id}/traits`, headers: bearer(ws.adminToken), payload: { traits: {} } });
    expect(empty.statusCode).toBe(400);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await app.inject({ method: 'GET', url: `/api/v1/profiles/${p.id}/events?limit=3&kind=event${cursor ? `&cursor=${cursor}` : ''}`, headers: bearer(ws.adminToken) });
      const body = res.json() as { data: Array<{ event: string | null; type: string }>; nextCursor: string | null };
      seen.push(...body.data.map((e) => e.event ?? e.type));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['identify', 'E6', 'E5', 'E4', 'E3', 'E2', 'E1', 'E0', 'identify']);
  });

  it('applies a workspace identifier limit: with two emails allowed at most, a third is a conflict', async () => {
    const ws = await newWorkspace(ctx.database);
    const set = await app.inject({ method: 'PUT', url: '/api/v1/identifier-settings/email', headers: bearer(ws.adminToken), payload: { priority: 60, maxPerProfile: 2 } });
    expect(set.statusCode).toBe(200);
    const list = await app.inject({ method: 'GET', url: '/api/v1/identifier-settings', headers: bearer(ws.adminToken) });
    expect((list.json() as { data: Array<{ type: string; maxPerProfile: number | null }> }).data).toContainEqual(expect.objectContaining({ type: 'email', maxPerProfile: 2 }));
    await sendBatch(app, ws.writeKey, ['a', 'b', 'c'].map((x, i) => ({ type: 'identify', userId: 'many-mails', traits: { email: `${x}@mail.cn` }, timestamp: `2026-01-0${i + 1}T00:00:00Z`, messageId: mid() })));
    const p = await profileOf(app, ws.adminToken, 'userId', 'many-mails');
    expect(p.identifiers.filter((i) => i.type === 'email').map((i) => i.value)).toEqual(['a@mail.cn', 'b@mail.cn']);
    expect(p.conflicts).toContainEqual(expect.objectContaining({ reason: 'limit:email' }));
    const bad = await app.inject({ method: 'PUT', url: '/api/v1/identifier-settings/bad type', headers: bearer(ws.adminToken), payload: { priority: 1, maxPerProfile: null } });
    expect(bad.statusCode).toBe(400);
  });
});
