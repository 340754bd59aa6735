import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { setSecretKey } from '../../src/modules/channels/index.js';
import { createUser } from '../../src/modules/users/index.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';

setSecretKey(randomBytes(32));

/** The template editor's live preview of unsaved edits, the analysts' GET preview, and the providers described for channel forms. */
describeEachDatabase('template and channel reads for the console', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  async function member(workspaceId: string, traits: Record<string, unknown>): Promise<number> {
    await ingestMessages(ctx.database.db, workspaceId, [{ type: 'identify', userId: `m-${workspaceId}`, traits, messageId: `m-${workspaceId}`, timestamp: new Date().toISOString() }]);
    return (await ctx.database.db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', workspaceId).where('type', '=', 'userId').executeTakeFirstOrThrow()).profile_id!;
  }
  const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;

  it('previews a template as edited for a profile; a Liquid error is a 400 naming the part', async () => {
    const ws = await newWorkspace(ctx.database);
    const h = bearer(ws.adminToken);
    const profileId = await member(ws.id, { name: '李雷' });
    const template = { name: 'draft', channel: 'sms', parts: { text: '{{ traits.name }}，您好！{{ event.properties.sku }}', signName: '澜肌', rule: 'china' } };
    const res = await app.inject({ method: 'POST', url: '/api/v1/templates/preview', headers: h, payload: { template, profileId, data: { event: { properties: { sku: 'LJ-1' } } } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: { channel: 'sms', text: '李雷，您好！LJ-1' }, sms: { segments: 1 } });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/templates/preview', headers: h, payload: { template: { ...template, parts: { text: '{{ traits.name | nope }}' } }, profileId } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'parts.text' }] } });
    expect((await app.inject({ method: 'POST', url: '/api/v1/templates/preview', headers: h, payload: { template: { ...template, channel: 'fax' } } })).statusCode).toBe(400);
    const other = await newWorkspace(ctx.database);
    expect((await app.inject({ method: 'POST', url: '/api/v1/templates/preview', headers: bearer(other.adminToken), payload: { template, profileId } })).statusCode).toBe(404);
  });

  it('lets an analyst preview a stored template by GET, while the POST forms stay writes', async () => {
    const ws = await newWorkspace(ctx.database);
    const profileId = await member(ws.id, { name: '韩梅梅' });
    const stored = (await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken),
      payload: { name: 'hello', channel: 'email', parts: { subject: 'Hi {{ traits.name }}', html: '<p>{{ traits.name }}</p>' } } })).json() as { id: string };
    const email = `analyst.${process.pid}.${Math.random().toString(36).slice(2, 8)}@example.com`;
    await createUser(ctx.database.db, ws.id, { email, password: 'analyst-pass', role: 'analyst' });
    const cookie = cookieOf(await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'analyst-pass' } }));
    const res = await app.inject({ method: 'GET', url: `/api/v1/templates/${stored.id}/preview?profileId=${profileId}`, headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: { channel: 'email', subject: 'Hi 韩梅梅', html: '<p>韩梅梅</p>' } });
    expect((await app.inject({ method: 'GET', url: `/api/v1/templates/${stored.id}/preview?profileId=abc`, headers: { cookie } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: `/api/v1/templates/${stored.id}/preview`, headers: { cookie }, payload: { profileId } })).statusCode).toBe(403);
  });

  it('describes each provider with its settings and write-only secrets; secrets never come back', async () => {
    const ws = await newWorkspace(ctx.database);
    const h = bearer(ws.adminToken);
    const res = await app.inject({ method: 'GET', url: '/api/v1/channels/providers', headers: h });
    expect(res.statusCode).toBe(200);
    const providers = res.json().data as Array<{ provider: string; channel: string; settings: { properties: Record<string, unknown>; required?: string[] }; secrets: { properties: Record<string, unknown>; required?: string[] } }>;
    expect(providers.map((p) => p.provider)).toEqual(['smtp', 'sms_http', 'aliyun_sms', 'tencent_sms', 'wechat_oa', 'wecom', 'webhook']);
    const aliyun = providers.find((p) => p.provider === 'aliyun_sms')!;
    expect(aliyun.channel).toBe('sms');
    expect(aliyun.settings.required).toEqual(['signName']);
    expect(aliyun.secrets.required).toEqual(['accessKeyId', 'accessKeySecret']);
    const created = await app.inject({ method: 'POST', url: '/api/v1/channels', headers: h,
      payload: { provider: 'webhook', name: 'hook', settings: { url: 'http://127.0.0.1:9/hook' }, secrets: { signingSecret: 'very-secret-value' } } });
    expect(created.statusCode).toBe(201);
    const list = await app.inject({ method: 'GET', url: '/api/v1/channels', headers: h });
    expect(list.body).not.toContain('very-secret-value');
    expect(list.json().data[0].secretsSet).toEqual(['signingSecret']);
  });
});
