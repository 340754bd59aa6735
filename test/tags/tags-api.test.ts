import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer } from '../support/app.js';
import { newTestWorkspace, seedProfile } from '../rules/seed.js';

describeEachDatabase('tags API', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('manages groups and tags, tags profiles single and in bulk, and reads a profile\'s tags and history', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const p1 = await seedProfile(db, ws.id, { identifiers: [{ type: 'email', value: 'a@example.com' }], traits: { age: 40 } });
    const p2 = await seedProfile(db, ws.id, { identifiers: [{ type: 'email', value: 'b@example.com' }], traits: { age: 20 } });

    const badGroup = await app.inject({ method: 'POST', url: '/api/v1/tag-groups', headers, payload: { name: 'x', category: 'astrology' } });
    expect(badGroup.statusCode).toBe(400);
    const group = (await app.inject({ method: 'POST', url: '/api/v1/tag-groups', headers, payload: { name: 'Consumption', category: 'consumption' } })).json() as { id: string };
    const manual = await app.inject({ method: 'POST', url: '/api/v1/tags', headers, payload: { groupId: group.id, name: 'high_spender' } });
    expect(manual.statusCode).toBe(201);
    const tagId = (manual.json() as { id: string }).id;
    const dup = await app.inject({ method: 'POST', url: '/api/v1/tags', headers, payload: { groupId: group.id, name: 'high_spender' } });
    expect(dup.statusCode).toBe(409);

    const applied = await app.inject({ method: 'POST', url: `/api/v1/tags/${tagId}/apply`, headers, payload: { profileIds: [p1], value: 'tier1' } });
    expect(applied.json()).toEqual({ applied: 1 });
    const imported = await app.inject({ method: 'POST', url: `/api/v1/tags/${tagId}/import`, headers, payload: { csv: 'email\nb@example.com\n' } });
    expect(imported.json()).toEqual({ applied: 1, removed: 0, unmatched: [] });

    const ruleTag = await app.inject({ method: 'POST', url: '/api/v1/tags', headers,
      payload: { groupId: group.id, name: 'over_30', rule: { version: 1, condition: { kind: 'trait', trait: 'age', type: 'number', op: 'gt', value: 30 } } } });
    expect(ruleTag.json()).toMatchObject({ kind: 'rule', size: 1 });
    const badRule = await app.inject({ method: 'POST', url: '/api/v1/tags', headers,
      payload: { groupId: group.id, name: 'broken', rule: { version: 1, condition: { kind: 'trait', trait: 'age', type: 'number', op: 'contains', value: 3 } } } });
    expect(badRule.json()).toMatchObject({ error: { details: [{ path: 'body.rule.condition.op' }] } });

    const list = await app.inject({ method: 'GET', url: `/api/v1/tags?groupId=${group.id}`, headers });
    expect((list.json() as { data: { name: string; size: number }[] }).data.map((t) => [t.name, t.size])).toEqual([['high_spender', 2], ['over_30', 1]]);

    const mine = await app.inject({ method: 'GET', url: `/api/v1/profiles/${p1}/tags`, headers });
    const body = mine.json() as { tags: { tagName: string; value: string }[]; history: { action: string; actor: string }[] };
    expect(body.tags.map((t) => [t.tagName, t.value]).sort()).toEqual([['high_spender', 'tier1'], ['over_30', '']]);
    expect(body.history.find((h) => h.actor?.startsWith('token:'))).toBeDefined();

    const removed = await app.inject({ method: 'POST', url: `/api/v1/tags/${tagId}/remove`, headers, payload: { profileIds: [p1, p2] } });
    expect(removed.json()).toEqual({ removed: 2 });
    const history = await app.inject({ method: 'GET', url: `/api/v1/tags/${tagId}/history`, headers });
    expect((history.json() as { data: { action: string }[] }).data.map((h) => h.action)).toEqual(['remove', 'remove', 'apply', 'apply']);

    const overlap = await app.inject({ method: 'POST', url: '/api/v1/overlap', headers, payload: { groups: [{ kind: 'tag', id: tagId }, { kind: 'tag', id: (ruleTag.json() as { id: string }).id }] } });
    expect(overlap.json()).toMatchObject({ sizes: [{ size: 0 }, { size: 1 }], pairs: [{ jaccard: 0 }] });

    const settings = await app.inject({ method: 'GET', url: '/api/v1/lifecycle/settings', headers });
    expect(settings.json()).toMatchObject({ aipl: { windowDays: 90 }, rfm: { scoring: 'class8' } });
    const put = await app.inject({ method: 'PUT', url: '/api/v1/lifecycle/settings', headers, payload: { ...(settings.json() as object), rfm: { windowDays: 180, scoring: 'quintile' } } });
    expect(put.json()).toMatchObject({ rfm: { windowDays: 180, scoring: 'quintile' } });
    const recompute = await app.inject({ method: 'POST', url: '/api/v1/lifecycle/recompute', headers });
    expect(recompute.json()).toEqual({ ok: true });
    const rfm = await app.inject({ method: 'GET', url: '/api/v1/reports/rfm', headers });
    expect(rfm.json()).toMatchObject({ scoring: 'quintile', grid: [] });
  });
});
