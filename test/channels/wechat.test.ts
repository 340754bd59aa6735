import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wechatPushToMessages } from '../../src/modules/channels/wechat/events.js';
import { wxDecrypt, wxEncrypt } from '../../src/modules/channels/wx-crypto.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { startFakeServer, type FakeServer } from './support.js';

const APP_ID = 'wx8f3a2b1c0d9e8f70';
const PUSH_TOKEN = 'siyuPushToken';
const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const sha1 = (...parts: string[]) => createHash('sha1').update([...parts].sort().join('')).digest('hex');
const xml = (fields: Record<string, string | number>) =>
  `<xml>${Object.entries(fields).map(([k, v]) => `<${k}>${typeof v === 'number' ? v : `<![CDATA[${v}]]>`}</${k}>`).join('')}</xml>`;

/** A fake api.weixin.qq.com following the published shapes: one valid token at a time, errcode/errmsg answers. */
function wechatFake() {
  const state = { issued: 0, current: '', msgIds: new Map<string, number>(), nextMsgId: 200228332 };
  const handler = (req: { method: string; url: URL; body: string }) => {
    if (req.url.pathname === '/cgi-bin/token') {
      if (req.url.searchParams.get('grant_type') !== 'client_credential' || req.url.searchParams.get('appid') !== APP_ID) return { json: { errcode: 40013, errmsg: 'invalid appid' } };
      if (req.url.searchParams.get('secret') !== 'app-secret') return { json: { errcode: 40125, errmsg: 'invalid appsecret' } };
      state.issued += 1;
      state.current = `ACCESS_TOKEN_${state.issued}`;
      return { delayMs: 20, json: { access_token: state.current, expires_in: 7200 } };
    }
    if (req.url.searchParams.get('access_token') !== state.current) return { json: { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' } };
    if (req.url.pathname === '/cgi-bin/get_api_domain_ip') return { json: { ip_list: ['101.226.103.0/25'] } };
    if (req.url.pathname === '/cgi-bin/message/template/send') {
      const body = JSON.parse(req.body) as { touser: string; template_id: string; client_msg_id?: string; data: unknown };
      if (body.touser === 'o_unsubscribed') return { json: { errcode: 43004, errmsg: 'require subscribe' } };
      if (body.template_id === 'bad-template') return { json: { errcode: 40037, errmsg: 'invalid template_id' } };
      if (body.template_id === 'proxy-null') return { text: 'null' }; // a proxy's bare answer: not WeChat's object
      // client_msg_id: the same id within the window is the same message.
      const known = body.client_msg_id ? state.msgIds.get(body.client_msg_id) : undefined;
      const msgid = known ?? state.nextMsgId++;
      if (body.client_msg_id) state.msgIds.set(body.client_msg_id, msgid);
      return { json: { errcode: 0, errmsg: 'ok', msgid } };
    }
    return { status: 404, json: { errcode: 404, errmsg: 'not found' } };
  };
  return { state, handler };
}

describeEachDatabase('WeChat Official Account', (ctx) => {
  let app: FastifyInstance;
  let api: FakeServer;
  const fake = wechatFake();
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    api = await startFakeServer(fake.handler);
  });
  afterAll(async () => {
    await app.close();
    await api.close();
  });

  async function setup(extraSettings: Record<string, unknown> = {}) {
    const ws = await newWorkspace(ctx.database);
    const res = await app.inject({
      method: 'POST', url: '/api/v1/channels', headers: bearer(ws.adminToken),
      payload: { provider: 'wechat_oa', name: 'OA', settings: { appId: APP_ID, apiBaseUrl: api.url, ...extraSettings }, secrets: { appSecret: 'app-secret', token: PUSH_TOKEN, encodingAesKey: AES_KEY } },
    });
    const channel = res.json() as { id: string; callbackUrl: string };
    return { ws, channelId: channel.id, callbackPath: new URL(channel.callbackUrl).pathname };
  }
  const templateMessage = { channel: 'wechat', templateId: 'TM00015', url: 'https://brand.test/member', miniprogram: { appid: 'wxmini', pagepath: 'pages/index' }, data: { first: { value: '欢迎入会' }, keyword1: { value: 'VIP', color: '#173177' } } };
  const send = (token: string, channelId: string, to: string, key: string, message: Record<string, unknown> = templateMessage) =>
    app.inject({ method: 'POST', url: `/api/v1/channels/${channelId}/send`, headers: bearer(token), payload: { to, idempotencyKey: key, message } });

  it('fetches one token for many concurrent senders, caches it sealed, and sends template messages with client_msg_id', async () => {
    const { ws, channelId } = await setup();
    const before = fake.state.issued;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => send(ws.adminToken, channelId, `o_user_${i}`, `welcome:${i}`)));
    expect(results.map((r) => (r.json() as { ok: boolean }).ok)).toEqual(Array(8).fill(true));
    expect(fake.state.issued - before).toBe(1);
    const stored = await ctx.database.db.selectFrom('channel_access_tokens').selectAll().where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(stored.sealed_token).not.toContain('ACCESS_TOKEN');
    expect(stored.expires_at!.getTime()).toBeGreaterThan(Date.now() + 7000_000);

    const request = api.requests.filter((r) => r.url.pathname === '/cgi-bin/message/template/send').at(-1)!;
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(body).toMatchObject({ template_id: 'TM00015', url: 'https://brand.test/member', miniprogram: { appid: 'wxmini', pagepath: 'pages/index' }, data: { keyword1: { value: 'VIP', color: '#173177' } } });
    expect(String(body.client_msg_id)).toMatch(/^welcome:\d$/);
  });

  it('on 40001 refreshes the token once and retries; refreshes ahead of expiry; classifies errcodes', async () => {
    const { ws, channelId } = await setup();
    expect((await send(ws.adminToken, channelId, 'o_a', 'k1')).json()).toMatchObject({ ok: true });
    const issued = fake.state.issued;
    fake.state.current = 'ROTATED_ELSEWHERE'; // another client refreshed: our cached token is no longer the latest
    expect((await send(ws.adminToken, channelId, 'o_a', 'k2')).json()).toMatchObject({ ok: true });
    expect(fake.state.issued).toBe(issued + 1);

    await ctx.database.db.updateTable('channel_access_tokens').set({ expires_at: new Date(Date.now() + 60_000) }).where('workspace_id', '=', ws.id).execute();
    expect((await send(ws.adminToken, channelId, 'o_a', 'k3')).json()).toMatchObject({ ok: true });
    expect(fake.state.issued).toBe(issued + 2);

    expect((await send(ws.adminToken, channelId, 'o_unsubscribed', 'k4')).json()).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: '43004' } });
    expect((await send(ws.adminToken, channelId, 'o_a', 'k5', { ...templateMessage, templateId: 'bad-template' })).json()).toMatchObject({ ok: false, error: { kind: 'permanent', code: '40037' } });
    expect((await send(ws.adminToken, channelId, 'o_a', 'k6', { ...templateMessage, templateId: 'proxy-null' })).json()).toMatchObject({ ok: false, error: { kind: 'retryable', code: '-1' } });
    expect((await app.inject({ method: 'POST', url: `/api/v1/channels/${channelId}/test`, headers: bearer(ws.adminToken) })).json()).toMatchObject({ ok: true });
    await app.inject({ method: 'PATCH', url: `/api/v1/channels/${channelId}`, headers: bearer(ws.adminToken), payload: { secrets: { appSecret: 'wrong' } } });
    await ctx.database.db.deleteFrom('channel_access_tokens').where('workspace_id', '=', ws.id).execute();
    expect((await app.inject({ method: 'POST', url: `/api/v1/channels/${channelId}/test`, headers: bearer(ws.adminToken) })).json()).toMatchObject({ ok: false, error: { code: '40125' } });
  });

  it('re-attempts a send left in flight by a crash with the same client_msg_id, so the person gets it once', async () => {
    const { ws, channelId } = await setup();
    const first = (await send(ws.adminToken, channelId, 'o_crash', 'journey-v3:p-9:n-2:e-1')).json() as { deliveryId: string; providerMessageId: string };
    // The process died after the provider call and before recording its answer: the row is still "sending".
    await ctx.database.db.updateTable('channel_deliveries').set({ status: 'sending', provider_message_id: null }).where('workspace_id', '=', ws.id).where('id', '=', first.deliveryId).execute();
    const again = (await send(ws.adminToken, channelId, 'o_crash', 'journey-v3:p-9:n-2:e-1')).json() as { deliveryId: string; providerMessageId: string; duplicate: boolean };
    expect(again).toMatchObject({ deliveryId: first.deliveryId, duplicate: false, providerMessageId: first.providerMessageId });
    const calls = api.requests.filter((r) => r.url.pathname === '/cgi-bin/message/template/send' && r.body.includes('journey-v3:p-9:n-2:e-1'));
    expect(calls).toHaveLength(2);
    expect(new Set(calls.map((c) => (JSON.parse(c.body) as { client_msg_id: string }).client_msg_id)).size).toBe(1);
    const row = await ctx.database.db.selectFrom('channel_deliveries').select(['status', 'attempts']).where('workspace_id', '=', ws.id).where('id', '=', first.deliveryId).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'sent', attempts: 2 });
    // Once recorded, the key is answered from the record: no third call.
    expect((await send(ws.adminToken, channelId, 'o_crash', 'journey-v3:p-9:n-2:e-1')).json()).toMatchObject({ duplicate: true, providerMessageId: first.providerMessageId });
    expect(api.requests.filter((r) => r.url.pathname === '/cgi-bin/message/template/send' && r.body.includes('journey-v3:p-9:n-2:e-1'))).toHaveLength(2);
  });

  function signedQuery(extra: Record<string, string> = {}) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    return { timestamp, nonce, signature: sha1(PUSH_TOKEN, timestamp, nonce), ...extra };
  }
  const qs = (q: Record<string, string>) => new URLSearchParams(q).toString();

  it('verifies the server URL (echostr) and refuses a bad signature', async () => {
    const { callbackPath } = await setup();
    const ok = await app.inject({ method: 'GET', url: `${callbackPath}?${qs(signedQuery({ echostr: '5837397520183029' }))}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('5837397520183029');
    const bad = await app.inject({ method: 'GET', url: `${callbackPath}?${qs({ ...signedQuery({ echostr: 'x' }), signature: '0'.repeat(40) })}` });
    expect(bad.statusCode).toBe(403);
  });

  it('turns plaintext pushes into profile events once each, with qrscene_ scene values', async () => {
    const { ws, callbackPath } = await setup();
    const post = (fields: Record<string, string | number>) =>
      app.inject({ method: 'POST', url: `${callbackPath}?${qs(signedQuery({ openid: 'o_fan' }))}`, headers: { 'content-type': 'text/xml; charset=utf-8' }, payload: xml(fields) });
    const base = { ToUserName: 'gh_brand', FromUserName: 'o_fan', MsgType: 'event' };
    const subscribe = { ...base, CreateTime: 1700000000, Event: 'subscribe', EventKey: 'qrscene_store42', Ticket: 'gQH47joAAAAAAAAAASxodHRwOi8v' };
    const first = await post(subscribe);
    expect(first.statusCode).toBe(200);
    expect(first.body).toBe('success');
    expect((await post(subscribe)).body).toBe('success'); // WeChat's retry of the same push
    await post({ ...base, CreateTime: 1700000100, Event: 'SCAN', EventKey: 'store7', Ticket: 't2' });
    await post({ ...base, CreateTime: 1700000200, Event: 'CLICK', EventKey: 'MENU_COUPONS' });
    await post({ ...base, CreateTime: 1700000300, Event: 'VIEW', EventKey: 'https://brand.test/shop' });
    await post({ ...base, CreateTime: 1700000400, Event: 'unsubscribe', EventKey: '' });
    await post({ ToUserName: 'gh_brand', FromUserName: 'o_fan', CreateTime: 1700000500, MsgType: 'text', Content: '积分', MsgId: '23456789012345678' });

    const events = await ctx.database.db.selectFrom('events').select(['event', 'properties', 'profile_id', 'timestamp']).where('workspace_id', '=', ws.id).orderBy('timestamp').execute();
    expect(events.map((e) => e.event)).toEqual(['WeChat Subscribed', 'WeChat QR Scanned', 'WeChat Menu Clicked', 'WeChat Menu Link Opened', 'WeChat Unsubscribed', 'WeChat Message Received']);
    expect(events[0]!.properties).toMatchObject({ scene: 'store42', appId: APP_ID });
    expect(events[0]!.timestamp.toISOString()).toBe('2023-11-14T22:13:20.000Z');
    expect(events[1]!.properties).toMatchObject({ scene: 'store7' });
    expect(new Set(events.map((e) => e.profile_id)).size).toBe(1);
    const openid = await ctx.database.db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', ws.id).where('type', '=', 'wechat_openid').where('value', '=', 'o_fan').executeTakeFirstOrThrow();
    expect(openid.profile_id).toBe(events[0]!.profile_id);

    const forged = await app.inject({ method: 'POST', url: `${callbackPath}?${qs({ ...signedQuery(), signature: 'f'.repeat(40) })}`, headers: { 'content-type': 'text/xml' }, payload: xml({ ...subscribe, CreateTime: 1 }) });
    expect(forged.statusCode).toBe(403);
  });

  it('marks a template message delivered on TEMPLATESENDJOBFINISH', async () => {
    const { ws, channelId, callbackPath } = await setup();
    const sent = (await send(ws.adminToken, channelId, 'o_buyer', 'order-shipped:1')).json() as { deliveryId: string; providerMessageId: string };
    const push = xml({ ToUserName: 'gh_brand', FromUserName: 'o_buyer', CreateTime: Math.floor(Date.now() / 1000), MsgType: 'event', Event: 'TEMPLATESENDJOBFINISH', MsgID: Number(sent.providerMessageId), Status: 'success' });
    expect((await app.inject({ method: 'POST', url: `${callbackPath}?${qs(signedQuery())}`, headers: { 'content-type': 'text/xml' }, payload: push })).body).toBe('success');
    const delivery = (await app.inject({ method: 'GET', url: `/api/v1/deliveries/${sent.deliveryId}`, headers: bearer(ws.adminToken) })).json();
    expect(delivery).toMatchObject({ status: 'delivered', providerMessageId: sent.providerMessageId });
    const delivered = await ctx.database.db.selectFrom('events').select('properties').where('workspace_id', '=', ws.id).where('event', '=', 'Message Delivered').executeTakeFirstOrThrow();
    expect(delivered.properties).toMatchObject({ deliveryId: sent.deliveryId, source: 'manual', status: 'success' });
  });

  it('handles safe mode: msg_signature, AES decryption, appid check, and an encrypted XML reply', async () => {
    const { ws, callbackPath } = await setup({ subscribeReply: '欢迎关注！回复“积分”查询积分' });
    const inner = xml({ ToUserName: 'gh_brand', FromUserName: 'o_safe', CreateTime: 1700001000, MsgType: 'event', Event: 'subscribe', EventKey: '' });
    const postEncrypted = (receiveId: string) => {
      const encrypted = wxEncrypt(AES_KEY, inner, receiveId);
      const q = signedQuery({ encrypt_type: 'aes', openid: 'o_safe' });
      const msgSignature = sha1(PUSH_TOKEN, q.timestamp, q.nonce, encrypted);
      return app.inject({ method: 'POST', url: `${callbackPath}?${qs({ ...q, msg_signature: msgSignature })}`, headers: { 'content-type': 'text/xml' }, payload: xml({ ToUserName: 'gh_brand', Encrypt: encrypted }) });
    };
    const res = await postEncrypted(APP_ID);
    expect(res.statusCode).toBe(200);
    const reply = /<Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt><MsgSignature><!\[CDATA\[([0-9a-f]+)\]\]><\/MsgSignature><TimeStamp><!\[CDATA\[(\d+)\]\]><\/TimeStamp><Nonce><!\[CDATA\[([^\]]+)\]\]><\/Nonce>/.exec(res.body)!;
    expect(reply).not.toBeNull();
    expect(sha1(PUSH_TOKEN, reply[3]!, reply[4]!, reply[1]!)).toBe(reply[2]);
    const opened = wxDecrypt(AES_KEY, reply[1]!);
    expect(opened.receiveId).toBe(APP_ID);
    expect(opened.message).toContain('<ToUserName><![CDATA[o_safe]]></ToUserName>');
    expect(opened.message).toContain('<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[欢迎关注！回复“积分”查询积分]]></Content>');
    expect((await postEncrypted('wx_someone_else')).statusCode).toBe(403);
    const events = await ctx.database.db.selectFrom('events').select('event').where('workspace_id', '=', ws.id).execute();
    expect(events.map((e) => e.event)).toEqual(['WeChat Subscribed']);
  });
});

describe('WeChat push → profile events (pure)', () => {
  it('maps a subscribe without a scene, a template-send failure and unknown events', () => {
    const base = { ToUserName: 'gh_b', FromUserName: 'o1', CreateTime: '1700000000', MsgType: 'event' };
    const [plain] = wechatPushToMessages('wxapp', { ...base, Event: 'subscribe', EventKey: '' });
    expect(plain).toMatchObject({ type: 'track', event: 'WeChat Subscribed', anonymousId: 'wechat_openid:o1', context: { externalIds: [{ id: 'o1', type: 'wechat_openid', collection: 'users', encoding: 'none' }] } });
    expect(plain!.properties).not.toHaveProperty('scene');
    const [blocked] = wechatPushToMessages('wxapp', { ...base, Event: 'TEMPLATESENDJOBFINISH', MsgID: '1', Status: 'failed:user block' });
    expect(blocked).toMatchObject({ event: 'Message Failed', properties: { errorKind: 'invalid_recipient', status: 'failed:user block' } });
    expect(wechatPushToMessages('wxapp', { ...base, Event: 'LOCATION' })[0]!.event).toBe('WeChat Event');
    // the same push always yields the same message id (ingest drops the repeat)
    expect(wechatPushToMessages('wxapp', { ...base, Event: 'CLICK', EventKey: 'A' })[0]!.messageId).toBe(wechatPushToMessages('wxapp', { ...base, Event: 'CLICK', EventKey: 'A' })[0]!.messageId);
  });
});
