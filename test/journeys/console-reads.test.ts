import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/users/index.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { drainAt, nextNoon, profilesBatch, smsChannel, startSink } from './support.js';

/** The reads the console's journey pages make: the language described, totals for the list, who entered; open to analysts. */
describeEachDatabase('journey reads for the console', (ctx) => {
  let app: FastifyInstance;
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    sink = await startSink();
  });
  afterAll(async () => {
    await app.close();
    await sink.close();
  });

  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;
  async function analystCookie(workspaceId: string): Promise<string> {
    const email = `analyst.${process.pid}.${Math.random().toString(36).slice(2, 8)}@example.com`;
    await createUser(ctx.database.db, workspaceId, { email, password: 'analyst-pass', role: 'analyst' });
    return cookieOf(await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'analyst-pass' } }));
  }

  it('describes the journey language: every node type, trigger and policy as JSON Schema', async () => {
    const ws = await newWorkspace(ctx.database);
    const res = await app.inject({ method: 'GET', url: '/api/v1/journeys/schema', headers: { cookie: await analystCookie(ws.id) } });
    expect(res.statusCode).toBe(200);
    const schema = res.json() as { nodes: Record<string, { properties: Record<string, { enum?: string[]; $ref?: string }>; required: string[] }>; triggers: Record<string, unknown>; policies: { properties: Record<string, unknown> } };
    expect(Object.keys(schema.nodes).sort()).toEqual(['add_tag', 'assign_guide', 'award_points', 'condition', 'exit', 'issue_coupon', 'remove_tag', 'send', 'set_trait', 'split', 'wait', 'wait_for_event', 'wait_until', 'webhook']);
    expect(schema.nodes.send!.required).toEqual(expect.arrayContaining(['channelId', 'templateId']));
    expect(schema.nodes.send!.properties.fallback).toBeDefined();
    expect(schema.nodes.wait_until!.properties.timezone!.enum).toEqual(['profile', 'workspace']);
    expect(schema.nodes.condition!.properties.rule!.$ref).toBe('#/$defs/Rule');
    expect(Object.keys(schema.triggers).sort()).toEqual(['date', 'event', 'manual', 'schedule', 'segment_entered', 'tag_applied']);
    expect(Object.keys(schema.policies.properties)).toEqual(expect.arrayContaining(['reentry', 'goal', 'exitCriteria', 'frequencyCap', 'quietHours']));
  });

  it('totals every journey in one read, lists who entered one (paged, by status) and lets an analyst read both', async () => {
    const ws = await newWorkspace(ctx.database);
    const h = bearer(ws.adminToken);
    const sms = await smsChannel(ctx.database, ws.id, `${sink.url}/sms`, 'hi {{ traits.name }}');
    const definition = {
      trigger: { type: 'manual' }, start: 'send',
      nodes: [{ id: 'send', type: 'send', ...sms, transactional: true }, { id: 'wait', type: 'wait', duration: { days: 2 } }, { id: 'bye', type: 'exit' }],
      edges: [{ from: 'send', to: 'wait' }, { from: 'wait', to: 'bye' }],
    };
    const journey = (await app.inject({ method: 'POST', url: '/api/v1/journeys', headers: h, payload: { name: 'j', definition } })).json() as { id: string };
    const idle = (await app.inject({ method: 'POST', url: '/api/v1/journeys', headers: h, payload: { name: 'idle', definition } })).json() as { id: string };
    await app.inject({ method: 'POST', url: `/api/v1/journeys/${journey.id}/publish`, headers: h });
    const people = await profilesBatch(ctx.database, ws.id, Array.from({ length: 3 }, (_, i) => ({ userId: `cr-${i}`, traits: { name: `会员${i}`, phone: `1380013${9100 + i}` } })));
    expect((await app.inject({ method: 'POST', url: `/api/v1/journeys/${journey.id}/enter`, headers: h, payload: { profileIds: people } })).json()).toEqual({ entered: 3 });
    await drainAt(ctx.database, ws.id, nextNoon());

    const cookie = await analystCookie(ws.id);
    const totals = await app.inject({ method: 'GET', url: '/api/v1/journeys/totals', headers: { cookie } });
    expect(totals.statusCode).toBe(200);
    expect(totals.json().data).toEqual([{ journeyId: journey.id, entered: 3, active: 3, finished: 0, exited: 0, converted: 0 }]);
    expect(totals.json().data.some((t: { journeyId: string }) => t.journeyId === idle.id)).toBe(false);
    const other = await newWorkspace(ctx.database);
    expect((await app.inject({ method: 'GET', url: '/api/v1/journeys/totals', headers: bearer(other.adminToken) })).json()).toEqual({ data: [] });

    const entries = await app.inject({ method: 'GET', url: `/api/v1/journeys/${journey.id}/entries?limit=2`, headers: { cookie } });
    expect(entries.statusCode).toBe(200);
    const page = entries.json() as { total: number; data: Array<{ profileId: number; name: string; status: string; nodeId: string }> };
    expect(page.total).toBe(3);
    expect(page.data).toHaveLength(2);
    expect(page.data[0]).toMatchObject({ profileId: people[2], name: '会员2', status: 'active', nodeId: 'wait' });
    const one = (await app.inject({ method: 'GET', url: `/api/v1/journeys/${journey.id}/entries?profileId=${people[0]}`, headers: h })).json();
    expect(one.data.map((e: { profileId: number }) => e.profileId)).toEqual([people[0]]);
    expect((await app.inject({ method: 'GET', url: `/api/v1/journeys/${journey.id}/entries?status=finished`, headers: h })).json()).toEqual({ data: [], total: 0 });
    expect((await app.inject({ method: 'GET', url: `/api/v1/journeys/${journey.id}/entries?status=gone`, headers: h })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/v1/journeys/${journey.id}/entries`, headers: bearer(other.adminToken) })).statusCode).toBe(404);

    // The path and per-node stats the console opens are reads too; writes stay refused.
    const path = await app.inject({ method: 'GET', url: `/api/v1/profiles/${people[0]}/journeys?journeyId=${journey.id}`, headers: { cookie } });
    expect(path.json().data[0].steps.map((s: { nodeId: string | null }) => s.nodeId)).toEqual(expect.arrayContaining(['send', 'wait']));
    expect((await app.inject({ method: 'GET', url: `/api/v1/journeys/${journey.id}/stats`, headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: `/api/v1/journeys/${journey.id}/pause`, headers: { cookie } })).statusCode).toBe(403);
  });

  it('ranks journeys by conversions for the overview (entered and conversion rate), live ones nobody entered last', async () => {
    const ws = await newWorkspace(ctx.database);
    const h = bearer(ws.adminToken);
    const sms = await smsChannel(ctx.database, ws.id, `${sink.url}/sms`, 'hi');
    const definition = { trigger: { type: 'manual' }, start: 'wait', nodes: [{ id: 'wait', type: 'wait', duration: { days: 2 } }, { id: 'send', type: 'send', ...sms, transactional: true }], edges: [{ from: 'wait', to: 'send' }] };
    const make = async (name: string, publish: boolean) => {
      const j = (await app.inject({ method: 'POST', url: '/api/v1/journeys', headers: h, payload: { name, definition } })).json() as { id: string };
      if (publish) expect((await app.inject({ method: 'POST', url: `/api/v1/journeys/${j.id}/publish`, headers: h })).statusCode).toBe(200);
      return j.id;
    };
    const [many, few, none] = [await make('many', true), await make('few', true), await make('none', true)];
    await make('draft', false);
    const people = await profilesBatch(ctx.database, ws.id, Array.from({ length: 4 }, (_, i) => ({ userId: `top-${i}`, traits: { phone: `1380013${9200 + i}` } })));
    await app.inject({ method: 'POST', url: `/api/v1/journeys/${many}/enter`, headers: h, payload: { profileIds: people } });
    await app.inject({ method: 'POST', url: `/api/v1/journeys/${few}/enter`, headers: h, payload: { profileIds: people.slice(0, 2) } });
    // Goals met: three of four in "many", one of two in "few" (the goal mechanics have their own tests).
    await ctx.database.db.updateTable('journey_entries').set({ converted: true }).where('workspace_id', '=', ws.id)
      .where((eb) => eb.or([eb.and([eb('journey_id', '=', many), eb('profile_id', 'in', people.slice(0, 3))]), eb.and([eb('journey_id', '=', few), eb('profile_id', '=', people[0]!)])]))
      .execute();
    const res = await app.inject({ method: 'GET', url: '/api/v1/reports/journeys?limit=5', headers: { cookie: await analystCookie(ws.id) } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([
      { journeyId: many, name: 'many', status: 'published', entered: 4, converted: 3, conversionRate: 0.75 },
      { journeyId: few, name: 'few', status: 'published', entered: 2, converted: 1, conversionRate: 0.5 },
      { journeyId: none, name: 'none', status: 'published', entered: 0, converted: 0, conversionRate: 0 },
    ]);
    expect((await app.inject({ method: 'GET', url: '/api/v1/reports/journeys?limit=1', headers: h })).json().data.map((j: { name: string }) => j.name)).toEqual(['many']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/reports/journeys?limit=0', headers: h })).statusCode).toBe(400);
    const other = await newWorkspace(ctx.database);
    expect((await app.inject({ method: 'GET', url: '/api/v1/reports/journeys', headers: bearer(other.adminToken) })).json()).toEqual({ data: [] });
  });

  it('keeps canvas positions with the journey: per version, kept across edits, changed in place on a live version', async () => {
    const ws = await newWorkspace(ctx.database);
    const h = bearer(ws.adminToken);
    const definition = { trigger: { type: 'manual' }, start: 'wait', nodes: [{ id: 'wait', type: 'wait', duration: { days: 1 } }, { id: 'bye', type: 'exit' }], edges: [{ from: 'wait', to: 'bye' }] };
    const layout = { trigger: { x: 40, y: 30 }, wait: { x: 120.5, y: 200 }, bye: { x: 300, y: 410 } };
    const created = await app.inject({ method: 'POST', url: '/api/v1/journeys', headers: h, payload: { name: 'laid out', definition, layout } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const read = async () => (await app.inject({ method: 'GET', url: `/api/v1/journeys/${id}`, headers: h })).json() as { layout: unknown; latestVersion: number };
    expect((await read()).layout).toEqual(layout);
    // A draft edit without positions keeps them; with positions replaces them.
    await app.inject({ method: 'PUT', url: `/api/v1/journeys/${id}`, headers: h, payload: { definition } });
    expect((await read()).layout).toEqual(layout);
    const moved = { ...layout, bye: { x: 500, y: 420 } };
    expect((await app.inject({ method: 'PUT', url: `/api/v1/journeys/${id}`, headers: h, payload: { definition, layout: moved } })).json().layout).toEqual(moved);
    // Published: moving nodes is presentation, so it stays on the live version; a definition edit makes version 2 with them.
    await app.inject({ method: 'POST', url: `/api/v1/journeys/${id}/publish`, headers: h });
    const live = { ...moved, wait: { x: 10, y: 10 } };
    expect((await app.inject({ method: 'PUT', url: `/api/v1/journeys/${id}`, headers: h, payload: { layout: live } })).json()).toMatchObject({ latestVersion: 1, layout: live });
    expect((await app.inject({ method: 'PUT', url: `/api/v1/journeys/${id}`, headers: h, payload: { definition } })).json()).toMatchObject({ latestVersion: 2, publishedVersion: 1, layout: live });
    // Positions are checked; a journey created without them has none.
    expect((await app.inject({ method: 'PUT', url: `/api/v1/journeys/${id}`, headers: h, payload: { layout: { wait: { x: 'left', y: 1 } } } })).statusCode).toBe(400);
    const bare = await app.inject({ method: 'POST', url: '/api/v1/journeys', headers: h, payload: { name: 'bare', definition } });
    expect(bare.json().layout).toBeNull();
  });
});
