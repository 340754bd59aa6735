import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { startFakeServer, type FakeServer } from './support.js';

describeEachDatabase('channel configurations', (ctx) => {
  let app: FastifyInstance;
  let sink: FakeServer;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    sink = await startFakeServer((req) => (req.url.pathname === '/down' ? { status: 503, text: 'down' } : { json: { ok: true } }));
  });
  afterAll(async () => {
    await app.close();
    await sink.close();
  });

  const wechatConfig = {
    provider: 'wechat_oa',
    name: 'Brand OA',
    settings: { appId: 'wx1234567890abcdef' },
    secrets: { appSecret: 'app-secret-value', token: 'push-token-value', encodingAesKey: 'a'.repeat(43) },
  };

  it('creates, reads, updates and deletes; secrets are sealed at rest and never returned', async () => {
    const ws = await newWorkspace(ctx.database);
    const created = await app.inject({ method: 'POST', url: '/api/v1/channels', headers: bearer(ws.adminToken), payload: wechatConfig });
    expect(created.statusCode).toBe(201);
    const view = created.json() as { id: string; channel: string; settings: Record<string, unknown>; secretsSet: string[]; callbackUrl: string };
    expect(view).toMatchObject({ channel: 'wechat', settings: { appId: 'wx1234567890abcdef', apiBaseUrl: 'https://api.weixin.qq.com' } });
    expect(view.secretsSet).toEqual(['appSecret', 'encodingAesKey', 'token']);
    expect(view.callbackUrl).toBe(`http://127.0.0.1:3000/callbacks/wechat/${ws.id}/${view.id}`);
    expect(created.body).not.toContain('app-secret-value');

    const row = await ctx.database.db.selectFrom('channel_configs').selectAll().where('workspace_id', '=', ws.id).where('id', '=', view.id).executeTakeFirstOrThrow();
    expect(row.sealed_secrets).toMatch(/^v1\./);
    expect(row.sealed_secrets).not.toContain('app-secret-value');
    expect(JSON.stringify(row.settings)).not.toContain('secret');

    const patched = await app.inject({ method: 'PATCH', url: `/api/v1/channels/${view.id}`, headers: bearer(ws.adminToken), payload: { name: 'Renamed', secrets: { appSecret: 'rotated' } } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Renamed', secretsSet: ['appSecret', 'encodingAesKey', 'token'] });

    const listed = await app.inject({ method: 'GET', url: '/api/v1/channels?channel=wechat', headers: bearer(ws.adminToken) });
    expect((listed.json() as { data: { id: string }[] }).data.map((c) => c.id)).toEqual([view.id]);

    expect((await app.inject({ method: 'DELETE', url: `/api/v1/channels/${view.id}`, headers: bearer(ws.adminToken) })).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: `/api/v1/channels/${view.id}`, headers: bearer(ws.adminToken) })).statusCode).toBe(404);
  });

  it('names the offending field of a bad configuration, and keeps workspaces apart', async () => {
    const ws = await newWorkspace(ctx.database);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/channels', headers: bearer(ws.adminToken), payload: { ...wechatConfig, secrets: { appSecret: 'x', token: 't', encodingAesKey: 'short' } } });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toEqual(['body.secrets.encodingAesKey']);

    const created = (await app.inject({ method: 'POST', url: '/api/v1/channels', headers: bearer(ws.adminToken), payload: wechatConfig })).json() as { id: string };
    const badPatch = await app.inject({ method: 'PATCH', url: `/api/v1/channels/${created.id}`, headers: bearer(ws.adminToken), payload: { settings: { appId: '' } } });
    expect(badPatch.statusCode).toBe(400);
    expect((badPatch.json() as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe('body.settings.appId');

    const other = await newWorkspace(ctx.database);
    expect((await app.inject({ method: 'GET', url: `/api/v1/channels/${created.id}`, headers: bearer(other.adminToken) })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/channels/${created.id}`, headers: bearer(other.adminToken) })).statusCode).toBe(404);
  });

  it('tests a connection without sending a message, and reports a classified failure', async () => {
    const ws = await newWorkspace(ctx.database);
    const make = async (url: string) =>
      ((await app.inject({ method: 'POST', url: '/api/v1/channels', headers: bearer(ws.adminToken), payload: { provider: 'webhook', name: 'sink', settings: { url, maxAttempts: 1 }, secrets: { signingSecret: 'whsec' } } })).json() as { id: string }).id;
    const up = await make(`${sink.url}/up`);
    const down = await make(`${sink.url}/down`);
    const ok = await app.inject({ method: 'POST', url: `/api/v1/channels/${up}/test`, headers: bearer(ws.adminToken) });
    expect(ok.json()).toMatchObject({ ok: true });
    const failed = await app.inject({ method: 'POST', url: `/api/v1/channels/${down}/test`, headers: bearer(ws.adminToken) });
    expect(failed.json()).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'http_503' } });
  });

  it('lists the channel routes in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/channels', '/api/v1/channels/{id}/test', '/t/o/*', '/t/c/*', '/u/*', '/callbacks/wechat/{workspaceId}/{channelId}', '/callbacks/wecom/{workspaceId}/{channelId}', '/api/v1/templates/{id}/preview']));
  });
});
