import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { earnPoints } from '../../src/modules/loyalty/index.js';
import { applyTag, createTag, createTagGroup } from '../../src/modules/tags/index.js';
import { renderForProfile } from '../../src/modules/templates/index.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { startFakeServer, type FakeServer } from '../channels/support.js';

describeEachDatabase('template routes', (ctx) => {
  let app: FastifyInstance;
  let sink: FakeServer;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    sink = await startFakeServer(() => ({ json: { id: 'hook-1' } }));
  });
  afterAll(async () => {
    await app.close();
    await sink.close();
  });

  const welcomeEmail = {
    name: 'Welcome',
    channel: 'email',
    parts: { subject: '{{ traits.name | default: "朋友" }}，欢迎加入', html: '<p>{{ traits.name }}</p><p>{{ coupon.code }}</p>{% if tags contains "VIP" %}<p>VIP</p>{% endif %}' },
  };

  async function profileWithTraits(workspaceId: string, traits: Record<string, unknown>): Promise<number> {
    await ingestMessages(ctx.database.db, workspaceId, [{ type: 'identify', userId: `member-${workspaceId}`, traits, messageId: `m-${workspaceId}`, timestamp: new Date().toISOString() }]);
    const row = await ctx.database.db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', workspaceId).where('type', '=', 'userId').executeTakeFirstOrThrow();
    return row.profile_id!;
  }

  it('creates, lists, replaces and deletes; a bad part is a 400 naming it, at save time', async () => {
    const ws = await newWorkspace(ctx.database);
    const created = await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken), payload: welcomeEmail });
    expect(created.statusCode).toBe(201);
    const { id } = created.json() as { id: string };
    const bad = await app.inject({ method: 'PUT', url: `/api/v1/templates/${id}`, headers: bearer(ws.adminToken), payload: { ...welcomeEmail, parts: { ...welcomeEmail.parts, html: '{{ traits.name | nope }}' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'parts.html' }] } });
    const badNew = await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken), payload: { name: 'x', channel: 'sms', parts: { text: '{% for %}' } } });
    expect(badNew.json()).toMatchObject({ error: { details: [{ path: 'parts.text' }] } });
    const replaced = await app.inject({ method: 'PUT', url: `/api/v1/templates/${id}`, headers: bearer(ws.adminToken), payload: { ...welcomeEmail, name: 'Welcome v2' } });
    expect(replaced.json()).toMatchObject({ name: 'Welcome v2' });
    const list = await app.inject({ method: 'GET', url: '/api/v1/templates?channel=email', headers: bearer(ws.adminToken) });
    expect((list.json() as { data: unknown[] }).data).toHaveLength(1);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/templates/${id}`, headers: bearer(ws.adminToken) })).statusCode).toBe(204);
    const other = await newWorkspace(ctx.database);
    expect((await app.inject({ method: 'GET', url: `/api/v1/templates/${id}`, headers: bearer(other.adminToken) })).statusCode).toBe(404);
  });

  it('saves a template naming a trait __proto__ without touching Object.prototype', async () => {
    const ws = await newWorkspace(ctx.database);
    try {
      const res = await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken), payload: { name: 'odd', channel: 'webhook', parts: { body: '{"a": "{{ traits.__proto__.polluted }}", "b": "{{ traits.constructor.prototype.polluted }}"}' } } });
      expect(res.statusCode).toBe(201);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted; // a failure must not leak into the other tests
    }
  });

  it('previews against a real profile with extra data, and reports SMS segments', async () => {
    const ws = await newWorkspace(ctx.database);
    const profileId = await profileWithTraits(ws.id, { name: '韩梅梅', email: `han.${ws.id}@example.test` });
    const group = await createTagGroup(ctx.database.db, ws.id, { name: '会员', category: 'basic' });
    const vip = await createTag(ctx.database.db, ws.id, { groupId: group.id, name: 'VIP' });
    await applyTag(ctx.database.db, ws.id, vip.id, [profileId], { actor: 'test' });
    await earnPoints(ctx.database.db, ws.id, { profileId, points: 1200, reason: 'welcome' });
    const { id } = (await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken), payload: welcomeEmail })).json() as { id: string };
    const preview = await app.inject({ method: 'POST', url: `/api/v1/templates/${id}/preview`, headers: bearer(ws.adminToken), payload: { profileId, data: { coupon: { code: 'NEW20' } } } });
    expect(preview.json()).toMatchObject({ message: { subject: '韩梅梅，欢迎加入', html: '<p>韩梅梅</p><p>NEW20</p><p>VIP</p>' } });
    const forJourney = await renderForProfile(ctx.database.db, ws.id, id, profileId);
    expect(forJourney).toMatchObject({ channel: 'email', address: `han.${ws.id}@example.test`, rendered: { message: { subject: '韩梅梅，欢迎加入' } } });

    const sms = (await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken), payload: { name: 's', channel: 'sms', parts: { text: '{{ traits.name }}：{{ event.properties.note }}{{ points.balance }}', signName: '品牌' } } })).json() as { id: string };
    const long = await app.inject({ method: 'POST', url: `/api/v1/templates/${sms.id}/preview`, headers: bearer(ws.adminToken), payload: { profileId, data: { event: { properties: { note: '会'.repeat(70) } } } } });
    expect(long.json()).toMatchObject({ message: { text: `韩梅梅：${'会'.repeat(70)}1200` }, sms: { encoding: 'china', characters: 82, segments: 2, perSegment: 67 } });
  });

  it("test-sends to the profile's address through a channel of the template's kind", async () => {
    const ws = await newWorkspace(ctx.database);
    const profileId = await profileWithTraits(ws.id, { name: 'Lucy' });
    const channel = (await app.inject({ method: 'POST', url: '/api/v1/channels', headers: bearer(ws.adminToken), payload: { provider: 'webhook', name: 'hook', settings: { url: `${sink.url}/in` }, secrets: { signingSecret: 's' } } })).json() as { id: string };
    const tpl = (await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken), payload: { name: 'h', channel: 'webhook', parts: { body: '{"hello": {{ traits.name | json }}}' } } })).json() as { id: string };
    const sent = await app.inject({ method: 'POST', url: `/api/v1/templates/${tpl.id}/test-send`, headers: bearer(ws.adminToken), payload: { profileId, channelId: channel.id } });
    expect(sent.json()).toMatchObject({ ok: true, providerMessageId: 'hook-1', rendered: { message: { payload: { hello: 'Lucy' } } } });
    const forJourney = await renderForProfile(ctx.database.db, ws.id, tpl.id, profileId, { event: { properties: { x: 1 } } });
    expect(forJourney).toMatchObject({ channel: 'webhook', rendered: { message: { payload: { hello: 'Lucy' } } }, address: undefined });
    expect(JSON.parse(sink.requests.at(-1)!.body)).toEqual({ hello: 'Lucy', profileId });

    const email = (await app.inject({ method: 'POST', url: '/api/v1/templates', headers: bearer(ws.adminToken), payload: welcomeEmail })).json() as { id: string };
    const wrongKind = await app.inject({ method: 'POST', url: `/api/v1/templates/${email.id}/test-send`, headers: bearer(ws.adminToken), payload: { profileId, channelId: channel.id } });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json()).toMatchObject({ error: { details: [{ path: 'body.channelId' }] } });
  });
});
