import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wecomCallbackToMessages } from '../../src/modules/channels/wecom/callback.js';
import { wxEncrypt } from '../../src/modules/channels/wx-crypto.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { startFakeServer, type FakeServer } from './support.js';

const CORP_ID = 'ww5823bf96d3bd56c7';
const TOKEN = 'QDG6eK';
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const sha1 = (...parts: string[]) => createHash('sha1').update([...parts].sort().join('')).digest('hex');
const xml = (fields: Record<string, string | number>) =>
  `<xml>${Object.entries(fields).map(([k, v]) => `<${k}>${typeof v === 'number' ? v : `<![CDATA[${v}]]>`}</${k}>`).join('')}</xml>`;

/** A fake qyapi.weixin.qq.com: gettoken, add_msg_template and send_welcome_msg in their published shapes. */
function wecomFake() {
  const state = { tokens: 0, current: '' };
  const handler = (req: { url: URL; body: string }) => {
    if (req.url.pathname === '/cgi-bin/gettoken') {
      if (req.url.searchParams.get('corpid') !== CORP_ID || req.url.searchParams.get('corpsecret') !== 'corp-secret') return { json: { errcode: 40001, errmsg: 'invalid credential' } };
      state.tokens += 1;
      state.current = `wecom-token-${state.tokens}`;
      return { json: { errcode: 0, errmsg: 'ok', access_token: state.current, expires_in: 7200 } };
    }
    if (req.url.searchParams.get('access_token') !== state.current) return { json: { errcode: 42001, errmsg: 'access_token expired' } };
    const body = req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
    switch (req.url.pathname) {
      case '/cgi-bin/externalcontact/add_msg_template': {
        const ids = body.external_userid as string[];
        if (body.chat_type !== 'single' || !Array.isArray(ids)) return { json: { errcode: 40058, errmsg: 'invalid parameter' } };
        if (ids.includes('wm_unknown')) return { json: { errcode: 40096, errmsg: 'invalid external userid' } };
        return { json: { errcode: 0, errmsg: 'ok', fail_list: ids.filter((id) => id === 'wm_not_friend'), msgid: 'msgGCAAAXtWyujaWJHDDGi0mACAAAA' } };
      }
      case '/cgi-bin/externalcontact/send_welcome_msg':
        if (body.welcome_code === 'EXPIRED') return { json: { errcode: 41051, errmsg: 'externaluser has started chatting' } };
        return { json: { errcode: 0, errmsg: 'ok' } };
      case '/cgi-bin/externalcontact/get_follow_user_list':
        return { json: { errcode: 0, errmsg: 'ok', follow_user: ['zhangsan'] } };
    }
    return { status: 404, json: { errcode: 404, errmsg: 'no such api' } };
  };
  return { state, handler };
}

describeEachDatabase('WeCom', (ctx) => {
  let app: FastifyInstance;
  let api: FakeServer;
  const fake = wecomFake();
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    api = await startFakeServer(fake.handler);
  });
  afterAll(async () => {
    await app.close();
    await api.close();
  });

  async function setup() {
    const ws = await newWorkspace(ctx.database);
    const res = await app.inject({
      method: 'POST', url: '/api/v1/channels', headers: bearer(ws.adminToken),
      payload: { provider: 'wecom', name: 'WeCom', settings: { corpId: CORP_ID, apiBaseUrl: api.url, defaultSender: 'zhangsan' }, secrets: { corpSecret: 'corp-secret', token: TOKEN, encodingAesKey: AES_KEY } },
    });
    const channel = res.json() as { id: string; callbackUrl: string };
    return { ws, channelId: channel.id, callbackPath: new URL(channel.callbackUrl).pathname };
  }

  function encryptedPost(path: string, inner: string, receiveId = CORP_ID) {
    const encrypt = wxEncrypt(AES_KEY, inner, receiveId);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    const query = new URLSearchParams({ msg_signature: sha1(TOKEN, timestamp, nonce, encrypt), timestamp, nonce });
    return app.inject({ method: 'POST', url: `${path}?${query}`, headers: { 'content-type': 'text/xml' }, payload: xml({ ToUserName: CORP_ID, AgentID: '', Encrypt: encrypt }) });
  }

  it('verifies the callback URL with the published sample (msg_signature, AES, corp id)', async () => {
    const { callbackPath } = await setup();
    // The published sample was encrypted for corp id wx5823bf96d3bd56c7: our corp id differs, so it is refused …
    const sample = new URLSearchParams({ msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3', timestamp: '1409659589', nonce: '263014780', echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==' });
    const refused = await app.inject({ method: 'GET', url: `${callbackPath}?${sample}` });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('wx5823bf96d3bd56c7');
    // … and an echostr encrypted for ours is answered with its plaintext.
    const echostr = wxEncrypt(AES_KEY, '1616140317555161061', CORP_ID);
    const timestamp = '1409659589';
    const nonce = '263014780';
    const ok = await app.inject({ method: 'GET', url: `${callbackPath}?${new URLSearchParams({ msg_signature: sha1(TOKEN, timestamp, nonce, echostr), timestamp, nonce, echostr })}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('1616140317555161061');
    const tampered = await app.inject({ method: 'GET', url: `${callbackPath}?${new URLSearchParams({ msg_signature: sha1(TOKEN, timestamp, 'other', echostr), timestamp, nonce, echostr })}` });
    expect(tampered.statusCode).toBe(403);
  });

  it('turns change_external_contact callbacks into profile events with State and WelcomeCode, once each', async () => {
    const { ws, callbackPath } = await setup();
    const base = { ToUserName: CORP_ID, FromUserName: 'sys', MsgType: 'event', Event: 'change_external_contact', UserID: 'zhangsan', ExternalUserID: 'wmAbCdEf0123456789' };
    const added = xml({ ...base, CreateTime: 1700002000, ChangeType: 'add_external_contact', State: 'store_sh_001', WelcomeCode: 'WELCOMECODE_1' });
    expect((await encryptedPost(callbackPath, added)).body).toBe('success');
    expect((await encryptedPost(callbackPath, added)).body).toBe('success'); // a repeat
    await encryptedPost(callbackPath, xml({ ...base, CreateTime: 1700002100, ChangeType: 'edit_external_contact' }));
    await encryptedPost(callbackPath, xml({ ...base, CreateTime: 1700002200, ChangeType: 'del_follow_user' }));
    await encryptedPost(callbackPath, xml({ ...base, CreateTime: 1700002300, ChangeType: 'del_external_contact', Source: 'DELETE_BY_TRANSFER' }));
    const events = await ctx.database.db.selectFrom('events').select(['event', 'properties', 'profile_id']).where('workspace_id', '=', ws.id).orderBy('timestamp').execute();
    expect(events.map((e) => e.event)).toEqual(['WeCom Contact Added', 'WeCom Contact Edited', 'WeCom Contact Removed Member', 'WeCom Contact Deleted']);
    expect(events[0]!.properties).toMatchObject({ memberUserId: 'zhangsan', state: 'store_sh_001', welcomeCode: 'WELCOMECODE_1', corpId: CORP_ID });
    expect(events[3]!.properties).toMatchObject({ source: 'DELETE_BY_TRANSFER' });
    const contact = await ctx.database.db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', ws.id).where('type', '=', 'wecom_external_userid').where('value', '=', 'wmAbCdEf0123456789').executeTakeFirstOrThrow();
    expect(contact.profile_id).toBe(events[0]!.profile_id);

    expect((await encryptedPost(callbackPath, added, 'ww_other_corp')).statusCode).toBe(403);
  });

  it('turns customer-group joins and leaves (change_external_chat) into profile events for the customers among the members, once each', async () => {
    const { ws, callbackPath } = await setup();
    // The published shape: the changed members as a list of <Item>s, corp members and customers together.
    const groupXml = (chatId: string, detail: string, scene: Record<string, number>, members: string[], createTime: number, version: string) =>
      `<xml><ToUserName><![CDATA[${CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>${createTime}</CreateTime>` +
      `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[${chatId}]]></ChatId>` +
      `<ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[${detail}]]></UpdateDetail>` +
      Object.entries(scene).map(([k, v]) => `<${k}>${v}</${k}>`).join('') +
      `<MemChangeCnt>${members.length}</MemChangeCnt><MemChangeList>${members.map((m) => `<Item><![CDATA[${m}]]></Item>`).join('')}</MemChangeList>` +
      `<LastMemVer><![CDATA[v0]]></LastMemVer><CurMemVer><![CDATA[${version}]]></CurMemVer></xml>`;
    const alice = 'wmAliceAAAAAAAAAAAAAAAAAAAAAAAA';
    const bob = 'woBobBBBBBBBBBBBBBBBBBBBBBBBBBB';
    const joined = groupXml('wrGroupOne', 'add_member', { JoinScene: 3 }, ['zhangsan', alice, bob], 1700003000, 'v1');
    expect((await encryptedPost(callbackPath, joined)).body).toBe('success');
    expect((await encryptedPost(callbackPath, joined)).body).toBe('success'); // WeCom retries: once
    // Another group's change in the same second is another fact.
    await encryptedPost(callbackPath, groupXml('wrGroupTwo', 'add_member', { JoinScene: 1 }, [alice], 1700003000, 'v7'));
    await encryptedPost(callbackPath, groupXml('wrGroupOne', 'del_member', { QuitScene: 1 }, [bob], 1700003100, 'v2'));
    const create = xml({ ToUserName: CORP_ID, FromUserName: 'sys', CreateTime: 1700003200, MsgType: 'event', Event: 'change_external_chat', ChatId: 'wrGroupThree', ChangeType: 'create' });
    expect((await encryptedPost(callbackPath, create)).body).toBe('success');
    const events = await ctx.database.db.selectFrom('events as e').innerJoin('identifiers as i', (j) => j.onRef('i.workspace_id', '=', 'e.workspace_id').onRef('i.id', '=', 'e.identifier_id'))
      .select(['e.event', 'e.properties', 'i.value']).where('e.workspace_id', '=', ws.id).orderBy('e.timestamp').orderBy('i.value').execute();
    expect(events.map((e) => [e.event, e.value, (e.properties as { chatId: string }).chatId])).toEqual([
      ['WeCom Group Joined', alice, 'wrGroupOne'],
      ['WeCom Group Joined', alice, 'wrGroupTwo'],
      ['WeCom Group Joined', bob, 'wrGroupOne'],
      ['WeCom Group Left', bob, 'wrGroupOne'],
    ]);
    expect(events[0]!.properties).toMatchObject({ corpId: CORP_ID, joinScene: 'group_qr_code', memberVersion: 'v1' });
    expect(events.find((e) => (e.properties as { chatId: string }).chatId === 'wrGroupTwo')!.properties).toMatchObject({ joinScene: 'invite_link' });
    expect(events[3]!.properties).toMatchObject({ quitScene: 'removed', memberVersion: 'v2' });
  });

  it('sends to external contacts (add_msg_template) and welcome messages (send_welcome_msg), classifying errors', async () => {
    const { ws, channelId } = await setup();
    const send = (to: string, message: Record<string, unknown>, key: string) =>
      app.inject({ method: 'POST', url: `/api/v1/channels/${channelId}/send`, headers: bearer(ws.adminToken), payload: { to, idempotencyKey: key, message: { channel: 'wecom', ...message } } });
    expect((await send('wmAbCdEf0123456789', { text: '会员日满200减30' }, 'w1')).json()).toMatchObject({ ok: true, providerMessageId: 'msgGCAAAXtWyujaWJHDDGi0mACAAAA' });
    const body = JSON.parse(api.requests.filter((r) => r.url.pathname.endsWith('add_msg_template')).at(-1)!.body) as Record<string, unknown>;
    expect(body).toEqual({ chat_type: 'single', external_userid: ['wmAbCdEf0123456789'], sender: 'zhangsan', text: { content: '会员日满200减30' } });
    expect((await send('wm_not_friend', { text: 'x' }, 'w2')).json()).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: 'fail_list' } });
    expect((await send('wm_unknown', { text: 'x' }, 'w3')).json()).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: '40096' } });

    expect((await send('WELCOMECODE_1', { kind: 'welcome', text: '欢迎添加导购' }, 'w4')).json()).toMatchObject({ ok: true });
    const welcome = JSON.parse(api.requests.filter((r) => r.url.pathname.endsWith('send_welcome_msg')).at(-1)!.body) as Record<string, unknown>;
    expect(welcome).toEqual({ welcome_code: 'WELCOMECODE_1', text: { content: '欢迎添加导购' } });
    expect((await send('EXPIRED', { kind: 'welcome', text: 'x' }, 'w5')).json()).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: '41051' } });

    const tokens = fake.state.tokens;
    fake.state.current = 'expired-elsewhere';
    expect((await send('wmAbCdEf0123456789', { text: 'again' }, 'w6')).json()).toMatchObject({ ok: true });
    expect(fake.state.tokens).toBe(tokens + 1);
    expect((await app.inject({ method: 'POST', url: `/api/v1/channels/${channelId}/test`, headers: bearer(ws.adminToken) })).json()).toMatchObject({ ok: true });
  });
});

describe('WeCom callbacks → profile events (pure)', () => {
  it('ignores other events and keeps the same message id for the same fact', () => {
    const fields = { Event: 'change_external_contact', ChangeType: 'add_half_external_contact', ExternalUserID: 'wm1', UserID: 'u', CreateTime: '1700000000', State: 's' };
    const [message] = wecomCallbackToMessages('ww1', fields);
    expect(message).toMatchObject({ event: 'WeCom Contact Added', anonymousId: 'wecom_external_userid:wm1', properties: { changeType: 'add_half_external_contact', state: 's' } });
    expect(wecomCallbackToMessages('ww1', { ...fields })[0]!.messageId).toBe(message!.messageId);
    expect(wecomCallbackToMessages('ww1', { ...fields, Event: 'change_external_chat' })).toEqual([]);
    const group = { Event: 'change_external_chat', ChatId: 'wr1', ChangeType: 'update', UpdateDetail: 'add_member', JoinScene: '0', CreateTime: '1700000000', MemChangeList: 'lisi,wmCustomerOne00000000000000,wmCustomerTwo00000000000000' };
    const joins = wecomCallbackToMessages('ww1', group);
    expect(joins.map((m) => m.anonymousId)).toEqual(['wecom_external_userid:wmCustomerOne00000000000000', 'wecom_external_userid:wmCustomerTwo00000000000000']);
    expect(joins[0]).toMatchObject({ event: 'WeCom Group Joined', properties: { chatId: 'wr1', joinScene: 'invited' } });
    expect(new Set(joins.map((m) => m.messageId)).size).toBe(2);
    expect(wecomCallbackToMessages('ww1', { ...group }).map((m) => m.messageId)).toEqual(joins.map((m) => m.messageId));
    for (const other of [{ ChangeType: 'create' }, { ChangeType: 'dismiss' }, { UpdateDetail: 'change_name' }, { UpdateDetail: 'change_owner' }, { MemChangeList: 'lisi,wangwu' }]) {
      expect(wecomCallbackToMessages('ww1', { ...group, ...other }), JSON.stringify(other)).toEqual([]);
    }
  });
});
