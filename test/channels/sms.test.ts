import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterContext, ChannelAdapter } from '../../src/modules/channels/adapter.js';
import { aliyunSmsAdapter } from '../../src/modules/channels/sms/aliyun.js';
import { genericSmsAdapter } from '../../src/modules/channels/sms/generic.js';
import { tencentSmsAdapter } from '../../src/modules/channels/sms/tencent.js';
import { startFakeServer, type FakeRequest, type FakeServer } from './support.js';

/** SMS adapters need no database: their context carries settings and secrets only. */
const context = (settings: Record<string, unknown>, secrets: Record<string, string>): AdapterContext =>
  ({ workspaceId: 'ws_sms', configId: 'ch_sms', settings, secrets, publicUrl: 'http://127.0.0.1' }) as AdapterContext;

// --- Aliyun's fake, with its own reading of the published RPC signature rules (not the adapter's code).
const ALIYUN_SECRET = 'aliyun-secret';
function rfc3986(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
function aliyunVerify(req: FakeRequest): boolean {
  const params = [...req.url.searchParams.entries()].filter(([k]) => k !== 'Signature');
  params.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = params.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  const expected = createHmac('sha1', `${ALIYUN_SECRET}&`).update(`GET&%2F&${rfc3986(canonical)}`).digest('base64');
  return expected === req.url.searchParams.get('Signature');
}
function aliyunFake(req: FakeRequest) {
  const q = req.url.searchParams;
  const requestId = 'F655A8D5-B967-440B-8683-DAD6FF8DE990';
  if (!aliyunVerify(req)) return { status: 400, json: { RequestId: requestId, Message: 'Specified signature is not matched with our calculation.', Recommend: 'https://next.api.aliyun.com/troubleshoot', HostId: 'dysmsapi.aliyuncs.com', Code: 'SignatureDoesNotMatch' } };
  for (const k of ['SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'Timestamp', 'AccessKeyId', 'Version', 'Format']) if (!q.get(k)) return { status: 400, json: { Code: 'MissingParameter', Message: k, RequestId: requestId } };
  if (q.get('SignatureMethod') !== 'HMAC-SHA1' || q.get('SignatureVersion') !== '1.0' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(q.get('Timestamp')!)) {
    return { status: 400, json: { Code: 'InvalidParameter', Message: 'bad signature parameters', RequestId: requestId } };
  }
  // A proxy in front of the provider that answers a bare JSON value (or Aliyun's body lost on the way).
  const bare = /^bare-(\d+)-(.*)$/.exec(q.get('OutId') ?? '');
  if (bare) return { status: Number(bare[1]), text: bare[2] };
  const phone = q.get('PhoneNumbers')!;
  if (phone === '13800000000') return { json: { Message: 'invalid mobile number', RequestId: requestId, Code: 'isv.MOBILE_NUMBER_ILLEGAL' } };
  if (phone === '13900000000') return { json: { Message: '触发小时级流控Permits:5', RequestId: requestId, Code: 'isv.BUSINESS_LIMIT_CONTROL' } };
  if (q.get('TemplateCode') === 'SMS_BAD') return { json: { Message: '模板不合法', RequestId: requestId, Code: 'isv.SMS_TEMPLATE_ILLEGAL' } };
  return { json: { Message: 'OK', RequestId: requestId, BizId: '9006197469364984^0', Code: 'OK' } };
}

// --- Tencent's fake, with its own TC3-HMAC-SHA256 computation.
const TENCENT_ID = 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE';
const TENCENT_KEY = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE';
function tencentVerify(req: FakeRequest): boolean {
  const auth = req.headers.authorization ?? '';
  const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/sms\/tc3_request, SignedHeaders=content-type;host, Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m || m[1] !== TENCENT_ID) return false;
  const timestamp = String(req.headers['x-tc-timestamp']);
  const date = m[2]!;
  if (new Date(Number(timestamp) * 1000).toISOString().slice(0, 10) !== date) return false;
  const hash = (s: string) => createHash('sha256').update(s).digest('hex');
  const canonical = `POST\n/\n\ncontent-type:${req.headers['content-type']}\nhost:${req.headers.host}\n\ncontent-type;host\n${hash(req.body)}`;
  const toSign = `TC3-HMAC-SHA256\n${timestamp}\n${date}/sms/tc3_request\n${hash(canonical)}`;
  let key: Buffer = createHmac('sha256', `TC3${TENCENT_KEY}`).update(date).digest();
  key = createHmac('sha256', key).update('sms').digest();
  key = createHmac('sha256', key).update('tc3_request').digest();
  return createHmac('sha256', key).update(toSign).digest('hex') === m[3];
}
function tencentFake(req: FakeRequest) {
  const RequestId = 'a0aabda6-cf91-4f3e-a81f-9198114a2279';
  if (!tencentVerify(req)) return { json: { Response: { Error: { Code: 'AuthFailure.SignatureFailure', Message: 'The provided credentials could not be validated.' }, RequestId } } };
  if (req.headers['x-tc-action'] !== 'SendSms' || req.headers['x-tc-version'] !== '2021-01-11') return { json: { Response: { Error: { Code: 'InvalidAction', Message: 'no such action' }, RequestId } } };
  const body = JSON.parse(req.body) as { PhoneNumberSet: string[]; SmsSdkAppId: string; TemplateId: string; TemplateParamSet: string[]; SessionContext: string };
  const phone = body.PhoneNumberSet[0]!;
  const bare = /^bare-(\d+)-(.*)$/.exec(body.SessionContext);
  if (bare) return { status: Number(bare[1]), text: bare[2] };
  const status = (Code: string, Message: string) => ({
    json: { Response: { SendStatusSet: [{ SerialNo: Code === 'Ok' ? '5000:1045710669157053657849499619' : '', PhoneNumber: phone, Fee: Code === 'Ok' ? 1 : 0, SessionContext: body.SessionContext, Code, Message, IsoCode: 'CN' }], RequestId } },
  });
  if (phone === '+8613800000000') return status('InvalidParameterValue.IncorrectPhoneNumber', 'invalid number');
  if (phone === '+8613900000000') return status('LimitExceeded.PhoneNumberThirtySecondLimit', 'too frequent');
  if (body.TemplateId === 'BAD') return status('FailedOperation.TemplateIncorrectOrUnapproved', 'template not approved');
  return status('Ok', 'send success');
}

describe('SMS adapters against local fakes that verify the published signatures', () => {
  let aliyun: FakeServer;
  let tencent: FakeServer;
  let generic: FakeServer;
  beforeAll(async () => {
    aliyun = await startFakeServer(aliyunFake);
    tencent = await startFakeServer(tencentFake);
    generic = await startFakeServer((req) => {
      if (req.headers.authorization !== 'Bearer gw-token') return { status: 401, json: { error: 'unauthorized' } };
      const body = JSON.parse(req.body) as { to: string };
      if (body.to === 'bad') return { status: 400, json: { code: 'invalid_number', message: 'bad number' } };
      if (body.to === '13900000000') return { status: 503, json: { message: 'busy' } };
      // Gateways that answer with a bare JSON value rather than an object.
      const bare = /^bare-(\d+)-(.*)$/.exec(String(req.headers['idempotency-key']));
      if (bare) return { status: Number(bare[1]), text: bare[2] };
      return { json: { messageId: `gw-${req.headers['idempotency-key']}` } };
    });
  });
  afterAll(async () => Promise.all([aliyun.close(), tencent.close(), generic.close()]));

  const aliyunWith = (secret: string): ChannelAdapter =>
    aliyunSmsAdapter(context({ endpoint: `${aliyun.url}/`, regionId: 'cn-hangzhou', signName: '私域测试' }, { accessKeyId: 'LTAI-test', accessKeySecret: secret }));

  it('Aliyun: a signed SendSms succeeds with the BizId; the request carries the published parameters', async () => {
    const result = await aliyunWith(ALIYUN_SECRET).send(
      { channel: 'sms', templateCode: 'SMS_154950909', params: { code: '1234', name: '张三 & co*~' } },
      { to: '+8613712345678' },
      'journey-1:profile-9:node-3',
    );
    expect(result).toEqual({ ok: true, providerMessageId: '9006197469364984^0' });
    const q = aliyun.requests.at(-1)!.url.searchParams;
    expect(q.get('Action')).toBe('SendSms');
    expect(q.get('PhoneNumbers')).toBe('13712345678');
    expect(q.get('SignName')).toBe('私域测试');
    expect(JSON.parse(q.get('TemplateParam')!)).toEqual({ code: '1234', name: '张三 & co*~' });
    expect(q.get('OutId')).toBe('journey-1:profile-9:node-3');
  });

  it('Aliyun: classifies error codes; a wrong secret is a permanent signature error', async () => {
    const adapter = aliyunWith(ALIYUN_SECRET);
    const sms = { channel: 'sms' as const, templateCode: 'SMS_1' };
    expect(await adapter.send(sms, { to: '13800000000' }, 'k1')).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: 'isv.MOBILE_NUMBER_ILLEGAL' } });
    expect(await adapter.send(sms, { to: '13900000000' }, 'k2')).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'isv.BUSINESS_LIMIT_CONTROL' } });
    expect(await adapter.send({ ...sms, templateCode: 'SMS_BAD' }, { to: '13712345678' }, 'k3')).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'isv.SMS_TEMPLATE_ILLEGAL' } });
    expect(await aliyunWith('wrong').send(sms, { to: '13712345678' }, 'k4')).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'SignatureDoesNotMatch' } });
    expect(await adapter.send({ channel: 'sms', text: 'hi' }, { to: '13712345678' }, 'k5')).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'template_required' } });
  });

  const tencentWith = (key: string): ChannelAdapter =>
    tencentSmsAdapter(context({ endpoint: `${tencent.url}/`, region: 'ap-guangzhou', smsSdkAppId: '1400006666', signName: '私域' }, { secretId: TENCENT_ID, secretKey: key }));

  it('Tencent: a TC3-signed SendSms succeeds with the SerialNo; positional params and E.164 numbers', async () => {
    const result = await tencentWith(TENCENT_KEY).send({ channel: 'sms', templateCode: '449739', params: { '2': '5', '1': '1234' } }, { to: '13712345678' }, 'idem-1');
    expect(result).toEqual({ ok: true, providerMessageId: '5000:1045710669157053657849499619' });
    const body = JSON.parse(tencent.requests.at(-1)!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ PhoneNumberSet: ['+8613712345678'], SmsSdkAppId: '1400006666', SignName: '私域', TemplateId: '449739', TemplateParamSet: ['1234', '5'], SessionContext: 'idem-1' });
  });

  it('Tencent: classifies per-number codes and a failed signature', async () => {
    const adapter = tencentWith(TENCENT_KEY);
    const sms = { channel: 'sms' as const, templateCode: '449739' };
    expect(await adapter.send(sms, { to: '13800000000' }, 'a')).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: 'InvalidParameterValue.IncorrectPhoneNumber' } });
    expect(await adapter.send(sms, { to: '13900000000' }, 'b')).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'LimitExceeded.PhoneNumberThirtySecondLimit' } });
    expect(await adapter.send({ ...sms, templateCode: 'BAD' }, { to: '13712345678' }, 'c')).toMatchObject({ ok: false, error: { kind: 'permanent' } });
    expect(await tencentWith('wrong-key').send(sms, { to: '13712345678' }, 'd')).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'AuthFailure.SignatureFailure' } });
  });

  it('Aliyun and Tencent: an answer that is not a JSON object is judged by its status (200: not retried, it may have been sent; 503: retried)', async () => {
    const sms = { channel: 'sms' as const, templateCode: '449739' };
    for (const [name, adapter] of [['aliyun', aliyunWith(ALIYUN_SECRET)], ['tencent', tencentWith(TENCENT_KEY)]] as const) {
      for (const bare of ['null', '42', '"queued"', '[]', 'not json', '{"Response":null}']) {
        expect(await adapter.send(sms, { to: '13712345678' }, `bare-200-${bare}`), `${name} ${bare}`).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'http_200' } });
        expect(await adapter.send(sms, { to: '13712345678' }, `bare-503-${bare}`), `${name} ${bare}`).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'http_503' } });
      }
    }
  });

  it('generic gateway: JSON post with bearer token, signature prepended; 4xx number error vs 5xx retry', async () => {
    const adapter = genericSmsAdapter(context({ url: `${generic.url}/send`, signName: '私域', messageIdField: 'messageId' }, { bearerToken: 'gw-token' }));
    expect(await adapter.send({ channel: 'sms', text: '您的验证码是 1234' }, { to: '13712345678' }, 'g1')).toEqual({ ok: true, providerMessageId: 'gw-g1' });
    expect(JSON.parse(generic.requests.at(-1)!.body)).toEqual({ to: '13712345678', text: '【私域】您的验证码是 1234', idempotencyKey: 'g1' });
    expect(await adapter.send({ channel: 'sms', text: 'x' }, { to: 'bad' }, 'g2')).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: 'invalid_number' } });
    expect(await adapter.send({ channel: 'sms', text: 'x' }, { to: '13900000000' }, 'g3')).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'http_503' } });
    const unauthorised = genericSmsAdapter(context({ url: `${generic.url}/send`, messageIdField: 'id' }, {}));
    expect(await unauthorised.send({ channel: 'sms', text: 'x' }, { to: '1' }, 'g4')).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'unauthorized' } });
  });

  it('generic gateway: a message id field the answer lacks falls back to the idempotency key, whatever its name', async () => {
    for (const messageIdField of ['id', 'constructor', 'toString']) {
      const adapter = genericSmsAdapter(context({ url: `${generic.url}/send`, messageIdField }, { bearerToken: 'gw-token' }));
      expect(await adapter.send({ channel: 'sms', text: 'x' }, { to: '13712345678' }, `g-${messageIdField}`), messageIdField).toEqual({ ok: true, providerMessageId: `g-${messageIdField}` });
    }
  });

  it('generic gateway: an answer that is a bare JSON value (null, a number, a string, an array) is judged by its status alone', async () => {
    const adapter = genericSmsAdapter(context({ url: `${generic.url}/send`, messageIdField: 'id' }, { bearerToken: 'gw-token' }));
    for (const bare of ['null', '42', '"queued"', '[]', 'true']) {
      // Accepted: counted as sent (a retry would send the text twice), under the idempotency key.
      const ok = `bare-200-${bare}`;
      expect(await adapter.send({ channel: 'sms', text: 'x' }, { to: '13712345678' }, ok), bare).toEqual({ ok: true, providerMessageId: ok });
      expect(await adapter.send({ channel: 'sms', text: 'x' }, { to: '13712345678' }, `bare-400-${bare}`), bare).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'http_400' } });
      expect(await adapter.send({ channel: 'sms', text: 'x' }, { to: '13712345678' }, `bare-503-${bare}`), bare).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'http_503' } });
    }
  });
});
