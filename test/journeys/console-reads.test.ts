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
});
