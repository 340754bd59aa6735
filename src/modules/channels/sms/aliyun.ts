import { createHmac, randomUUID } from 'node:crypto';
import { classifyHttpStatus, failure, jsonObjectOf, networkFailure, type AdapterContext, type ChannelAdapter, type FailureKind, type SendResult } from '../adapter.js';
import type { SmsMessage } from '../schema.js';

/**
 * Aliyun SMS (dysmsapi 2017-05-25, RPC style). Signature as published: parameters sorted by name, each name and value
 * percent-encoded (RFC 3986: space → %20, `*` → %2A, `~` kept), joined with `&`; StringToSign =
 * `GET&%2F&` + percentEncode(canonical query); Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function aliyunCanonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
}

export function aliyunSignature(method: string, params: Record<string, string>, accessKeySecret: string): string {
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(aliyunCanonicalQuery(params))}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
}

/** Aliyun's `Code` values by what a sender should do about them (others: permanent). */
const invalidRecipientCodes = new Set(['isv.MOBILE_NUMBER_ILLEGAL', 'isv.BLACK_KEY_CONTROL_LIMIT', 'isv.PHONE_NUMBER_ILLEGAL']);
const retryableCodes = new Set(['isv.BUSINESS_LIMIT_CONTROL', 'isp.SYSTEM_ERROR', 'Throttling', 'Throttling.User', 'ServiceUnavailable', 'InternalError', 'isv.DAY_LIMIT_CONTROL']);

export function classifyAliyunCode(code: string, httpStatus: number): FailureKind {
  if (invalidRecipientCodes.has(code)) return 'invalid_recipient';
  if (retryableCodes.has(code) || code.startsWith('Throttling')) return 'retryable';
  return httpStatus >= 500 ? classifyHttpStatus(httpStatus) : 'permanent';
}

/** Aliyun takes mainland numbers without the country code. */
const aliyunPhone = (phone: string) => phone.replace(/^\+?86(?=1\d{10}$)/, '').replace(/^\+/, '00');

export function aliyunSmsAdapter(ctx: AdapterContext): ChannelAdapter {
  const settings = ctx.settings as { endpoint: string; regionId: string; signName: string };
  const { accessKeyId = '', accessKeySecret = '' } = ctx.secrets;

  async function call(action: string, extra: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const params: Record<string, string> = {
      AccessKeyId: accessKeyId,
      Action: action,
      Format: 'JSON',
      RegionId: settings.regionId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: randomUUID(),
      SignatureVersion: '1.0',
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Version: '2017-05-25',
      ...extra,
    };
    const query = `Signature=${percentEncode(aliyunSignature('GET', params, accessKeySecret))}&${aliyunCanonicalQuery(params)}`;
    const response = await fetch(`${settings.endpoint}?${query}`, { signal: AbortSignal.timeout(10_000) });
    const body = await jsonObjectOf(response);
    return { status: response.status, body };
  }

  return {
    channel: 'sms',
    provider: 'aliyun_sms',
    async send(message, recipient, idempotencyKey): Promise<SendResult> {
      if (message.channel !== 'sms') return failure('permanent', 'wrong_channel', `an SMS channel cannot send a ${message.channel} message`);
      const sms = message as SmsMessage;
      if (!sms.templateCode) return failure('permanent', 'template_required', 'Aliyun SMS sends approved templates only: set templateCode');
      if (!/^\+?\d{6,20}$/.test(recipient.to)) return failure('invalid_recipient', 'invalid_phone', `not a phone number: ${recipient.to}`);
      try {
        const { status, body } = await call('SendSms', {
          PhoneNumbers: aliyunPhone(recipient.to),
          SignName: settings.signName,
          TemplateCode: sms.templateCode,
          ...(sms.params ? { TemplateParam: JSON.stringify(sms.params) } : {}),
          OutId: idempotencyKey.slice(0, 256),
        });
        const code = String(body.Code ?? `http_${status}`);
        if (code === 'OK') return { ok: true, providerMessageId: String(body.BizId ?? body.RequestId ?? '') };
        return failure(classifyAliyunCode(code, status), code, String(body.Message ?? 'Aliyun SMS refused the message'));
      } catch (err) {
        return networkFailure(err);
      }
    },
    async testConnection() {
      // QuerySendStatistics needs only valid credentials: a signature error or an unknown key shows at once.
      try {
        const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
        const { status, body } = await call('QuerySendStatistics', { IsGlobe: '1', StartDate: today, EndDate: today, PageIndex: '1', PageSize: '1' });
        const code = String(body.Code ?? `http_${status}`);
        if (code === 'OK') return { ok: true, detail: 'Aliyun SMS accepted the credentials' };
        return failure(classifyAliyunCode(code, status), code, String(body.Message ?? ''));
      } catch (err) {
        return networkFailure(err);
      }
    },
  };
}
