import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { BLUEPRINTS } from '../../src/modules/journeys/index.js';
import { drainAt, nextNoon, profilesBatch, smsChannel, startSink } from './support.js';

describeEachDatabase('journeys API', (ctx) => {
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

  it('validates with errors naming the node, publishes, versions, pauses, reports stats and paths', async () => {
    const ws = await newWorkspace(ctx.database);
    const h = bearer(ws.adminToken);
    const sms = await smsChannel(ctx.database, ws.id, `${sink.url}/sms`, 'hi');
    const bad = {
      trigger: { type: 'manual' }, start: 'a',
      nodes: [{ id: 'a', type: 'split', variants: [{ key: 'x', percent: 60 }, { key: 'y', percent: 30 }] }, { id: 'b', type: 'send', channelId: sms.channelId }],
      edges: [{ from: 'a', to: 'b', branch: 'x' }],
    };
    const created = await app.inject({ method: 'POST', url: '/api/v1/journeys', headers: h, payload: { name: 'bad', definition: bad } });
    expect(created.statusCode).toBe(400);
    expect(created.body).toContain('nodes[1](b).templateId');

    const fixed = { ...bad, nodes: [bad.nodes[0], { id: 'b', type: 'send', ...sms }] };
    const validated = await app.inject({ method: 'POST', url: '/api/v1/journeys/validate', headers: h, payload: { definition: fixed } });
    const issues = validated.json().issues as Array<{ path: string; message: string }>;
    expect(validated.json().valid).toBe(false);
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['definition.nodes[0](a).variants', 'definition.nodes[0](a)']));
    expect(issues.map((i) => i.message).join(' ')).toMatch(/add up to 90.*|branch "y"/);

    const good = {
      ...fixed,
      nodes: [{ id: 'a', type: 'split', variants: [{ key: 'x', percent: 50 }, { key: 'y', percent: 50 }] }, { id: 'b', type: 'send', ...sms, transactional: true }, { id: 'c', type: 'exit' }],
      edges: [{ from: 'a', to: 'b', branch: 'x' }, { from: 'a', to: 'c', branch: 'y' }],
    };
    const ok = await app.inject({ method: 'POST', url: '/api/v1/journeys', headers: h, payload: { name: 'good', definition: good } });
    expect(ok.statusCode).toBe(201);
    const id = ok.json().id as string;
    const notLive = await app.inject({ method: 'POST', url: `/api/v1/journeys/${id}/enter`, headers: h, payload: { profileIds: [1] } });
    expect(notLive.statusCode).toBe(409);
    expect((await app.inject({ method: 'POST', url: `/api/v1/journeys/${id}/publish`, headers: h })).json()).toMatchObject({ status: 'published', publishedVersion: 1 });
    const edited = await app.inject({ method: 'PUT', url: `/api/v1/journeys/${id}`, headers: h, payload: { definition: good } });
    expect(edited.json()).toMatchObject({ latestVersion: 2, publishedVersion: 1 });
    const versions = await app.inject({ method: 'GET', url: `/api/v1/journeys/${id}/versions`, headers: h });
    expect(versions.json().data.map((v: { version: number; publishedAt: string | null }) => [v.version, v.publishedAt !== null])).toEqual([[2, false], [1, true]]);

    const people = await profilesBatch(ctx.database, ws.id, Array.from({ length: 20 }, (_, i) => ({ userId: `api-${i}`, traits: { phone: `1380013${String(9000 + i)}` } })));
    const entered = await app.inject({ method: 'POST', url: `/api/v1/journeys/${id}/enter`, headers: h, payload: { profileIds: people } });
    expect(entered.json()).toEqual({ entered: 20 });
    await drainAt(ctx.database, ws.id, nextNoon());
    const stats = (await app.inject({ method: 'GET', url: `/api/v1/journeys/${id}/stats`, headers: h })).json();
    const node = (n: string) => stats.nodes.find((x: { nodeId: string }) => x.nodeId === n);
    expect(stats.entered).toBe(20);
    expect(node('a').entered).toBe(20);
    expect(node('b').entered + node('c').entered).toBe(20);
    expect(node('b').entered).toBeGreaterThan(0);
    expect(node('c').exited).toBe(node('c').entered);

    const paths = await app.inject({ method: 'GET', url: `/api/v1/profiles/${people[0]}/journeys`, headers: h });
    expect(paths.statusCode).toBe(200);
    expect(paths.json().data[0].steps[0].outcome).toBe('entered');

    expect((await app.inject({ method: 'POST', url: `/api/v1/journeys/${id}/pause`, headers: h })).json().status).toBe('paused');
    expect((await app.inject({ method: 'POST', url: `/api/v1/journeys/${id}/enter`, headers: h, payload: { profileIds: people } })).statusCode).toBe(409);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).body;
    expect(doc).toContain('/api/v1/journeys/{id}/stats');
  });

  it('installs every built-in journey on a channel, and each one publishes', async () => {
    const ws = await newWorkspace(ctx.database);
    const h = bearer(ws.adminToken);
    const sms = await smsChannel(ctx.database, ws.id, `${sink.url}/sms`);
    const list = (await app.inject({ method: 'GET', url: '/api/v1/journey-templates', headers: h })).json().data as Array<{ key: string }>;
    expect(list.map((t) => t.key)).toEqual(BLUEPRINTS.map((b) => b.key));
    expect(list).toHaveLength(7);
    for (const { key } of list) {
      const installed = await app.inject({ method: 'POST', url: `/api/v1/journey-templates/${key}/install`, headers: h, payload: { channelId: sms.channelId } });
      expect(installed.statusCode, installed.body).toBe(201);
      const published = await app.inject({ method: 'POST', url: `/api/v1/journeys/${installed.json().id}/publish`, headers: h });
      expect(published.statusCode, published.body).toBe(200);
      expect(published.json().templateKey).toBe(key);
    }
  });
});
