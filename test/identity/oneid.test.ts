import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch, timeline } from '../support/ingest.js';

const ext = (type: string, id: string) => ({ externalIds: [{ id, type, collection: 'users', encoding: 'none' }] });

describeEachDatabase('OneID identity resolution', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('merges an anonymous visitor into the member who logs in, keeping the older profile id and both histories', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [{ type: 'track', anonymousId: 'a-1', event: 'Product Viewed', messageId: mid(), timestamp: '2026-01-01T10:00:00Z' }]);
    const anon = await profileOf(app, ws.adminToken, 'anonymousId', 'a-1');
    await sendBatch(app, ws.writeKey, [{ type: 'identify', userId: 'u-1', traits: { name: '李娜' }, messageId: mid(), timestamp: '2026-01-02T10:00:00Z' }]);
    const user = await profileOf(app, ws.adminToken, 'userId', 'u-1');
    expect(user.id).not.toBe(anon.id);

    await sendBatch(app, ws.writeKey, [{ type: 'identify', userId: 'u-1', anonymousId: 'a-1', messageId: mid('login'), timestamp: '2026-01-03T10:00:00Z' }]);
    const merged = await profileOf(app, ws.adminToken, 'anonymousId', 'a-1');
    expect(merged.id).toBe(Math.min(anon.id, user.id));
    expect(merged.traits).toMatchObject({ name: '李娜' });
    expect(merged.merges).toEqual([expect.objectContaining({ kind: 'merge', otherProfileId: Math.max(anon.id, user.id) })]);
    expect((await timeline(app, ws.adminToken, merged.id)).map((e) => e.type).sort()).toEqual(['identify', 'identify', 'track']);

    // The absorbed id redirects forever.
    const old = await app.inject({ method: 'GET', url: `/api/v1/profiles/${Math.max(anon.id, user.id)}`, headers: bearer(ws.adminToken) });
    expect(old.json()).toMatchObject({ id: merged.id, redirectedFrom: Math.max(anon.id, user.id), absorbedIds: [Math.max(anon.id, user.id)] });
    expect(old.json().identifiers.map((i: { type: string }) => i.type).sort()).toEqual(['anonymousId', 'userId']);
    expect(new Date(old.json().merges[0].createdAt).getTime()).not.toBeNaN();
    // Unknown ids and identifiers are 404s, not errors.
    const missing = await app.inject({ method: 'GET', url: '/api/v1/profiles/987654321987', headers: bearer(ws.adminToken) });
    expect(missing.statusCode).toBe(404);
    const unknown = await app.inject({ method: 'GET', url: '/api/v1/profiles/lookup?type=userId&value=nobody', headers: bearer(ws.adminToken) });
    expect(unknown.statusCode).toBe(404);
  });

  it('resolves traits by the newest value per trait, whatever the arrival order', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'u-t', traits: { city: '上海', tier: 'gold' }, timestamp: '2026-03-02T00:00:00Z', messageId: mid() },
      { type: 'identify', anonymousId: 'a-t', traits: { city: '北京', age: 30 }, timestamp: '2026-03-01T00:00:00Z', messageId: mid() },
    ]);
    await sendBatch(app, ws.writeKey, [{ type: 'alias', userId: 'u-t', previousId: 'a-t', timestamp: '2026-03-03T00:00:00Z', messageId: mid() }]);
    const p = await profileOf(app, ws.adminToken, 'userId', 'u-t');
    expect(p.traits).toEqual({ city: '上海', tier: 'gold', age: 30 });
  });

  it('refuses a merge that would give one person two member numbers, and records the conflict', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', anonymousId: 'dev-1', context: ext('member_no', 'M001'), messageId: mid(), timestamp: '2026-01-01T00:00:00Z' },
      { type: 'identify', anonymousId: 'dev-2', context: ext('member_no', 'M002'), messageId: mid(), timestamp: '2026-01-01T00:00:01Z' },
    ]);
    // One message naming both member numbers (e.g. a bad import row): they must stay two people.
    await sendBatch(app, ws.writeKey, [
      { type: 'track', anonymousId: 'dev-1', event: 'Coupon Claimed', context: { externalIds: [{ id: 'M002', type: 'member_no' }] }, messageId: mid('c'), timestamp: '2026-01-02T00:00:00Z' },
    ]);
    const m1 = await profileOf(app, ws.adminToken, 'member_no', 'M001');
    const m2 = await profileOf(app, ws.adminToken, 'member_no', 'M002');
    expect(m1.id).not.toBe(m2.id);
    expect([...m1.conflicts, ...m2.conflicts]).toContainEqual(expect.objectContaining({ reason: 'limit:member_no' }));
    // The event attaches to the profile of its highest-priority identifier (member_no M002 beats anonymousId dev-1).
    expect((await timeline(app, ws.adminToken, m2.id)).map((e) => e.event)).toContain('Coupon Claimed');
    expect((await timeline(app, ws.adminToken, m1.id)).map((e) => e.event)).not.toContain('Coupon Claimed');
  });

  it('shows a refused merge on both people, and only there, among the workspace\'s other conflicts', async () => {
    const ws = await newWorkspace(ctx.database);
    // Three pairs of member numbers, each pair named together once: three conflicts in the workspace.
    const pairs = [['A1', 'A2'], ['B1', 'B2'], ['C1', 'C2']] as const;
    for (const [x, y] of pairs) {
      await sendBatch(app, ws.writeKey, [
        { type: 'identify', anonymousId: `dev-${x}`, context: ext('member_no', x), messageId: mid(), timestamp: '2026-01-01T00:00:00Z' },
        { type: 'identify', anonymousId: `dev-${y}`, context: ext('member_no', y), messageId: mid(), timestamp: '2026-01-01T00:00:01Z' },
      ]);
      await sendBatch(app, ws.writeKey, [
        { type: 'track', anonymousId: `dev-${x}`, event: 'Coupon Claimed', context: ext('member_no', y), messageId: mid(), timestamp: '2026-01-02T00:00:00Z' },
      ]);
    }
    await sendBatch(app, ws.writeKey, [{ type: 'identify', anonymousId: 'dev-D', context: ext('member_no', 'D1'), messageId: mid(), timestamp: '2026-01-03T00:00:00Z' }]);
    // Each side of a pair, whichever side of the recorded conflict its identifier is on, sees its own pair's conflict.
    for (const [x, y] of pairs) {
      for (const member of [x, y]) {
        const p = await profileOf(app, ws.adminToken, 'member_no', member);
        expect(p.conflicts, member).toHaveLength(1);
        const conflict = p.conflicts[0] as { identifier: string; otherIdentifier: string };
        const named = [conflict.identifier, conflict.otherIdentifier].sort();
        // The refused link: the track call's anonymousId (x's) with the member number it named (y's).
        expect(named, member).toEqual([`anonymousId:dev-${x}`, `member_no:${y}`]);
      }
    }
    expect((await profileOf(app, ws.adminToken, 'member_no', 'D1')).conflicts).toEqual([]);
  });

  it('treats external id types named like built-in object properties as any other type (priority 40, at most 5)', async () => {
    const ws = await newWorkspace(ctx.database);
    for (const type of ['constructor', 'toString']) {
      await sendBatch(app, ws.writeKey, Array.from({ length: 6 }, (_, i) => (
        { type: 'identify', anonymousId: `dev-${type}`, context: ext(type, `${type}-${i}`), messageId: mid(), timestamp: `2026-01-01T00:00:0${i}Z` }
      )));
      const p = await profileOf(app, ws.adminToken, 'anonymousId', `dev-${type}`);
      // The sixth id of the type would exceed the limit of 5: it stays apart, with a conflict recorded.
      expect(p.identifiers.filter((i) => i.type === type)).toHaveLength(5);
      expect(p.conflicts).toContainEqual(expect.objectContaining({ reason: `limit:${type}` }));
      const res = await app.inject({ method: 'GET', url: `/api/v1/profiles/${p.id}`, headers: bearer(ws.adminToken) });
      expect(res.json().channels).toEqual([]);
    }
  });

  it('does not merge two people who share a device', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'wife', anonymousId: 'family-ipad', messageId: mid(), timestamp: '2026-02-01T00:00:00Z' },
      { type: 'identify', userId: 'husband', anonymousId: 'family-ipad', messageId: mid(), timestamp: '2026-02-02T00:00:00Z' },
      { type: 'track', userId: 'husband', anonymousId: 'family-ipad', event: 'Cart Viewed', messageId: mid(), timestamp: '2026-02-03T00:00:00Z' },
    ]);
    const wife = await profileOf(app, ws.adminToken, 'userId', 'wife');
    const husband = await profileOf(app, ws.adminToken, 'userId', 'husband');
    expect(wife.id).not.toBe(husband.id);
    expect((await timeline(app, ws.adminToken, husband.id)).map((e) => e.event)).toContain('Cart Viewed');
  });

  it('normalises emails and phones (+86 by default) before matching', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'n-1', traits: { email: ' Zhang.Wei@Example.COM ', phone: '138 0013 8000' }, messageId: mid() },
      { type: 'identify', anonymousId: 'n-anon', traits: { phone: '+86-138-0013-8000' }, messageId: mid() },
    ]);
    const byPhone = await profileOf(app, ws.adminToken, 'phone', '13800138000');
    const byEmail = await profileOf(app, ws.adminToken, 'email', 'zhang.wei@example.com');
    expect(byPhone.id).toBe(byEmail.id);
    expect(byPhone.identifiers.map((i) => `${i.type}:${i.value}`)).toContain('phone:+8613800138000');
    expect(byPhone.identifiers.map((i) => i.type)).toContain('anonymousId');
  });

  it('undoes a merge: both profiles come back with their own histories, and stay apart', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'mom', traits: { name: '陈静' }, messageId: mid(), timestamp: '2026-04-01T00:00:00Z' },
      { type: 'track', userId: 'mom', event: 'Mom Event', messageId: mid(), timestamp: '2026-04-01T01:00:00Z' },
      { type: 'identify', anonymousId: 'kid-phone', traits: { name: '小明' }, messageId: mid(), timestamp: '2026-04-02T00:00:00Z' },
      { type: 'track', anonymousId: 'kid-phone', event: 'Kid Event', messageId: mid(), timestamp: '2026-04-02T01:00:00Z' },
    ]);
    const mom = await profileOf(app, ws.adminToken, 'userId', 'mom');
    const kid = await profileOf(app, ws.adminToken, 'anonymousId', 'kid-phone');
    await sendBatch(app, ws.writeKey, [{ type: 'identify', userId: 'mom', anonymousId: 'kid-phone', messageId: mid('wrong'), timestamp: '2026-04-03T00:00:00Z' }]);
    const merged = await profileOf(app, ws.adminToken, 'userId', 'mom');
    expect(merged.id).toBe(Math.min(mom.id, kid.id)); // the older profile survives
    expect(merged.traits.name).toBe('小明'); // newest wins while merged
    const mergeId = merged.merges[0]!.id;

    const undo = await app.inject({ method: 'POST', url: `/api/v1/profiles/${merged.id}/unmerge`, headers: bearer(ws.adminToken), payload: { mergeId } });
    expect(undo.statusCode, undo.body).toBe(200);
    const momAfter = await profileOf(app, ws.adminToken, 'userId', 'mom');
    const kidAfter = await profileOf(app, ws.adminToken, 'anonymousId', 'kid-phone');
    expect(momAfter.id).toBe(mom.id);
    expect(kidAfter.id).toBe(kid.id);
    expect(momAfter.traits.name).toBe('陈静');
    expect(kidAfter.traits.name).toBe('小明');
    expect((await timeline(app, ws.adminToken, kid.id)).map((e) => e.event)).toContain('Kid Event');
    expect((await timeline(app, ws.adminToken, mom.id)).map((e) => e.event)).toContain('Mom Event');
    expect((await timeline(app, ws.adminToken, mom.id)).map((e) => e.event)).not.toContain('Kid Event');

    // The same evidence again does not re-merge them.
    await sendBatch(app, ws.writeKey, [{ type: 'identify', userId: 'mom', anonymousId: 'kid-phone', messageId: mid('again'), timestamp: '2026-04-04T00:00:00Z' }]);
    expect((await profileOf(app, ws.adminToken, 'anonymousId', 'kid-phone')).id).toBe(kid.id);
    const twice = await app.inject({ method: 'POST', url: `/api/v1/profiles/${mom.id}/unmerge`, headers: bearer(ws.adminToken), payload: { mergeId } });
    expect(twice.statusCode).toBe(409);
  });

  it('deletes a profile with its events; its identifiers start afresh', async () => {
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'gone', anonymousId: 'gone-a', traits: { email: 'gone@example.com' }, messageId: mid() },
      { type: 'track', userId: 'gone', event: 'Viewed', messageId: mid() },
    ]);
    const p = await profileOf(app, ws.adminToken, 'userId', 'gone');
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/profiles/${p.id}`, headers: bearer(ws.adminToken) });
    expect(del.json()).toMatchObject({ deleted: true, events: 2, identifiers: 3 });
    const again = await app.inject({ method: 'GET', url: `/api/v1/profiles/${p.id}`, headers: bearer(ws.adminToken) });
    expect(again.statusCode).toBe(404);
    const events = await ctx.database.db.selectFrom('events').select('id').where('workspace_id', '=', ws.id).execute();
    expect(events).toHaveLength(0);
  });
});
