import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/users/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer } from '../support/app.js';
import { newTestWorkspace, seedProfile } from '../rules/seed.js';

/** The reads the console's tag and segment pages make: open to analysts, paged, described, trended. */
describeEachDatabase('rules tier reads for the console', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;
  async function analystCookie(workspaceId: string): Promise<string> {
    const email = `analyst.${process.pid}.${Math.random().toString(36).slice(2, 8)}@example.com`;
    await createUser(ctx.database.db, workspaceId, { email, password: 'analyst-pass', role: 'analyst' });
    return cookieOf(await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'analyst-pass' } }));
  }

  it('lets an analyst estimate a rule and read the overlap by GET, while the POST forms stay writes', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const gold = await seedProfile(db, ws.id, { traits: { plan: 'gold', city: 'Shanghai' } });
    const both = await seedProfile(db, ws.id, { traits: { plan: 'gold', city: 'Beijing' } });
    await seedProfile(db, ws.id, { traits: { plan: 'silver', city: 'Beijing' } });
    const goldRule = { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } };
    const bjRule = { version: 1, condition: { kind: 'trait', trait: 'city', type: 'string', op: 'eq', value: 'Beijing' } };
    const a = (await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: 'Gold', rule: goldRule } })).json() as { id: string };
    const b = (await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: 'Beijing', rule: bjRule } })).json() as { id: string };

    const cookie = await analystCookie(ws.id);
    const asAnalyst = { cookie };
    const estimate = await app.inject({ method: 'GET', url: `/api/v1/rules/estimate?rule=${encodeURIComponent(JSON.stringify(goldRule))}`, headers: asAnalyst });
    expect(estimate.statusCode).toBe(200);
    expect(estimate.json()).toEqual({ size: 2, sample: [gold, both].sort((x, y) => x - y) });
    expect((await app.inject({ method: 'POST', url: '/api/v1/rules/estimate', headers: asAnalyst, payload: { rule: goldRule } })).statusCode).toBe(403);

    // Errors of the GET form point at the node under `query.rule`; bad JSON is a 400, not a crash.
    const wrongOp = { version: 1, condition: { kind: 'and', conditions: [goldRule.condition, { kind: 'trait', trait: 'plan', type: 'string', op: 'gt', value: 'a' }] } };
    const bad = await app.inject({ method: 'GET', url: `/api/v1/rules/estimate?rule=${encodeURIComponent(JSON.stringify(wrongOp))}`, headers: asAnalyst });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'query.rule.condition.conditions[1].op' }] } });
    const notJson = await app.inject({ method: 'GET', url: '/api/v1/rules/estimate?rule=%7Bnope', headers: asAnalyst });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toMatchObject({ error: { code: 'invalid_request' } });

    const overlap = await app.inject({ method: 'GET', url: `/api/v1/overlap?refs=segment:${a.id},segment:${b.id}`, headers: asAnalyst });
    expect(overlap.statusCode).toBe(200);
    expect(overlap.json()).toEqual({
      sizes: [{ kind: 'segment', id: a.id, size: 2 }, { kind: 'segment', id: b.id, size: 2 }],
      pairs: [{ a: { kind: 'segment', id: a.id }, b: { kind: 'segment', id: b.id }, intersection: 1, union: 3, jaccard: 1 / 3 }],
    });
    expect((await app.inject({ method: 'GET', url: `/api/v1/overlap?refs=segment:${a.id}`, headers: asAnalyst })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/v1/overlap?refs=group:${a.id},segment:${b.id}`, headers: asAnalyst })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/v1/overlap', headers: asAnalyst, payload: { groups: [{ kind: 'segment', id: a.id }, { kind: 'segment', id: b.id }] } })).statusCode).toBe(403);
  });

  it('pages, filters and sorts tags on the server with a total', async () => {
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const group = (await app.inject({ method: 'POST', url: '/api/v1/tag-groups', headers, payload: { name: '偏好', category: 'preference' } })).json() as { id: string };
    for (const name of ['护肤达人', '彩妆控', '香氛爱好者', 'VIP 护肤']) {
      expect((await app.inject({ method: 'POST', url: '/api/v1/tags', headers, payload: { groupId: group.id, name } })).statusCode).toBe(201);
    }
    await app.inject({ method: 'POST', url: '/api/v1/tags', headers,
      payload: { groupId: group.id, name: '高价值', rule: { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } } } });
    const page = await app.inject({ method: 'GET', url: '/api/v1/tags?limit=2&offset=0&sort=name&order=asc', headers });
    const body = page.json() as { data: { name: string }[]; total: number };
    expect(body.total).toBe(5);
    expect(body.data).toHaveLength(2);
    const all = (await app.inject({ method: 'GET', url: '/api/v1/tags?sort=name', headers })).json() as { data: { name: string }[] };
    expect(body.data.map((t) => t.name)).toEqual(all.data.slice(0, 2).map((t) => t.name));
    const second = (await app.inject({ method: 'GET', url: '/api/v1/tags?limit=2&offset=2&sort=name', headers })).json() as { data: { name: string }[] };
    expect(second.data.map((t) => t.name)).toEqual(all.data.slice(2, 4).map((t) => t.name));

    const skin = (await app.inject({ method: 'GET', url: `/api/v1/tags?q=${encodeURIComponent('护肤')}`, headers })).json() as { data: { name: string }[]; total: number };
    expect(skin.data.map((t) => t.name).sort()).toEqual(['VIP 护肤', '护肤达人'].sort());
    expect(skin.total).toBe(2);
    const rules = (await app.inject({ method: 'GET', url: '/api/v1/tags?kind=rule', headers })).json() as { data: { name: string }[]; total: number };
    expect(rules).toMatchObject({ total: 1, data: [{ name: '高价值' }] });
    expect((await app.inject({ method: 'GET', url: '/api/v1/tags?limit=0', headers })).statusCode).toBe(400);
  });

  it('pages, filters and sorts segments on the server with a total', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    await seedProfile(db, ws.id, { traits: { plan: 'gold' } });
    await seedProfile(db, ws.id, { traits: { plan: 'gold' } });
    await seedProfile(db, ws.id, { traits: { plan: 'silver' } });
    const rule = (plan: string) => ({ version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: plan } });
    for (const [name, plan] of [['Gold buyers', 'gold'], ['Silver buyers', 'silver'], ['Nobody', 'none']] as const) {
      expect((await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name, rule: rule(plan) } })).statusCode).toBe(201);
    }
    const bySize = (await app.inject({ method: 'GET', url: '/api/v1/segments?sort=size&order=desc&limit=2', headers })).json() as { data: { name: string; size: number }[]; total: number };
    expect(bySize).toMatchObject({ total: 3, data: [{ name: 'Gold buyers', size: 2 }, { name: 'Silver buyers', size: 1 }] });
    const next = (await app.inject({ method: 'GET', url: '/api/v1/segments?sort=size&order=desc&limit=2&offset=2', headers })).json() as { data: { name: string }[] };
    expect(next.data.map((s) => s.name)).toEqual(['Nobody']);
    const buyers = (await app.inject({ method: 'GET', url: '/api/v1/segments?q=BUYERS&sort=name', headers })).json() as { data: { name: string }[]; total: number };
    expect(buyers).toMatchObject({ total: 2, data: [{ name: 'Gold buyers' }, { name: 'Silver buyers' }] });
    expect((await app.inject({ method: 'GET', url: '/api/v1/segments?sort=color', headers })).statusCode).toBe(400);
  });

  it('describes the rule language for the builder, from the schema', async () => {
    const ws = await newTestWorkspace(ctx.database);
    const res = await app.inject({ method: 'GET', url: '/api/v1/rules/schema', headers: bearer(ws.adminToken) });
    expect(res.statusCode).toBe(200);
    const schema = res.json() as { version: number; kinds: Record<string, Record<string, { required: boolean; enum?: string[] }>>; traitOps: Record<string, string[]>; propertyFilterOps: string[]; windowTypes: string[] };
    expect(schema.version).toBe(1);
    expect(Object.keys(schema.kinds)).toEqual(expect.arrayContaining(['and', 'or', 'not', 'trait', 'event', 'event_aggregate', 'event_time', 'order', 'order_time', 'bought', 'tag', 'segment', 'lifecycle', 'rfm', 'identifier', 'consent']));
    expect(schema.kinds.tag!.op).toEqual({ required: true, enum: ['has', 'has_not'], type: 'string' });
    expect(schema.kinds.lifecycle!.stages!.enum).toEqual(['A', 'I', 'P', 'L']);
    expect(schema.kinds.rfm!.classes!.enum).toContain('important_value');
    expect(schema.kinds.order!.measure!.enum).toEqual(['count', 'total', 'average']);
    expect(schema.traitOps.date).toContain('anniversary_within_days');
    expect(schema.traitOps.boolean).not.toContain('gt');
    expect(schema.propertyFilterOps).toContain('exists');
    expect(schema.windowTypes).toEqual(['last_days', 'between']);
  });

  it('reports entered and exited profiles per day for a segment', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    await seedProfile(db, ws.id, { traits: { plan: 'gold' } });
    await seedProfile(db, ws.id, { traits: { plan: 'gold' } });
    await seedProfile(db, ws.id, { traits: { plan: 'silver' } });
    const created = (await app.inject({ method: 'POST', url: '/api/v1/segments', headers,
      payload: { name: 'Gold', rule: { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } } } })).json() as { id: string };
    await app.inject({ method: 'PATCH', url: `/api/v1/segments/${created.id}`, headers,
      payload: { rule: { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'silver' } } } });
    const trend = await app.inject({ method: 'GET', url: `/api/v1/segments/${created.id}/trend?days=7`, headers });
    expect(trend.statusCode).toBe(200);
    const body = trend.json() as { days: number; timezone: string; data: { day: string; entered: number; exited: number }[] };
    expect(body.timezone).toBe('Asia/Shanghai');
    expect(body.data).toHaveLength(7);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    expect(body.data[6]).toEqual({ day: today, entered: 3, exited: 2 });
    expect(body.data.slice(0, 6).every((d) => d.entered === 0 && d.exited === 0)).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/api/v1/segments/seg_nope/trend', headers })).statusCode).toBe(404);
  });
});
