import { createHash, createHmac } from 'node:crypto';
import { classifyHttpStatus, failure, jsonObjectOf, networkFailure, type AdapterContext, type ChannelAdapter, type FailureKind, type SendResult } from '../adapter.js';
import type { SmsMessage } from '../schema.js';

/**
 * Tencent Cloud SMS (API 3.0, version 2021-01-11), signed with TC3-HMAC-SHA256 as published:
 * CanonicalRequest = POST\n/\n\ncontent-type:…\nhost:…\n\ncontent-type;host\nhex(sha256(body));
 * StringToSign = TC3-HMAC-SHA256\n<timestamp>\n<date>/sms/tc3_request\nhex(sha256(CanonicalRequest));
 * key chain HMAC("TC3"+SecretKey, date) → service → "tc3_request"; Signature = hex(HMAC(key, StringToSign)).
 */
export const TC3_CONTENT_TYPE = 'application/json; charset=utf-8';

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

export interface Tc3Input {
  secretId: string;
  secretKey: string;
  service: string;
  host: string;
  timestamp: number;
  payload: string;
  contentType?: string;
}

export function tc3Signature(input: Omit<Tc3Input, 'secretId'>): string {
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  const canonicalRequest = [
    'POST',
    '/',
    '',
    `content-type:${input.contentType ?? TC3_CONTENT_TYPE}\nhost:${input.host}\n`,
    'content-type;host',
    sha256Hex(input.payload),
  ].join('\n');
  const scope = `${date}/${input.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestamp), scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(`TC3${input.secretKey}`, date), input.service), 'tc3_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

export function tc3Authorization(input: Tc3Input): string {
  const date = new Date(input.timestamp * 1000).toISOString().slice(0, 10);
  return `TC3-HMAC-SHA256 Credential=${input.secretId}/${date}/${input.service}/tc3_request, SignedHeaders=content-type;host, Signature=${tc3Signature(input)}`;
}

const invalidRecipientCodes = new Set([
  'InvalidParameterValue.IncorrectPhoneNumber',
  'FailedOperation.PhoneNumberInBlacklist',
  'FailedOperation.PhoneNumberOnBlacklist',
  'UnsupportedOperation.UnsupportedRegion',
  'UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber',
]);

/** Tencent codes: InternalError.* and LimitExceeded.* pass with time; a bad number is the address's fault; the rest are permanent. */
export function classifyTencentCode(code: string, httpStatus = 200): FailureKind {
  if (invalidRecipientCodes.has(code)) return 'invalid_recipient';
  if (code.startsWith('InternalError') || code.startsWith('LimitExceeded') || code === 'RequestLimitExceeded') return 'retryable';
  return httpStatus >= 500 ? classifyHttpStatus(httpStatus) : 'permanent';
}

const e164 = (phone: string) => (phone.startsWith('+') ? phone : /^1\d{10}$/.test(phone) ? `+86${phone}` : `+${phone}`);

function positionalParams(params: SmsMessage['params']): string[] {
  if (!params) return [];
  if (Array.isArray(params)) return params;
  return Object.entries(params)
    .sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))
    .map(([, v]) => v);
}

export function tencentSmsAdapter(ctx: AdapterContext): ChannelAdapter {
  const settings = ctx.settings as { endpoint: string; region: string; smsSdkAppId: string; signName: string };
  const { secretId = '', secretKey = '' } = ctx.secrets;

  async function call(action: string, body: Record<string, unknown>): Promise<{ status: number; response: Record<string, unknown> }> {
    const url = new URL(settings.endpoint);
    const payload = JSON.stringify(body);
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: tc3Authorization({ secretId, secretKey, service: 'sms', host: url.host, timestamp, payload }),
        'content-type': TC3_CONTENT_TYPE,
        'x-tc-action': action,
        'x-tc-timestamp': String(timestamp),
        'x-tc-version': '2021-01-11',
        'x-tc-region': settings.region,
      },
      body: payload,
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await jsonObjectOf(res)).Response;
    return { status: res.status, response: answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? (answer as Record<string, unknown>) : {} };
  }

  return {
    channel: 'sms',
    provider: 'tencent_sms',
    async send(message, recipient, idempotencyKey): Promise<SendResult> {
      if (message.channel !== 'sms') return failure('permanent', 'wrong_channel', `an SMS channel cannot send a ${message.channel} message`);
      const sms = message as SmsMessage;
      if (!sms.templateCode) return failure('permanent', 'template_required', 'Tencent Cloud SMS sends approved templates only: set templateCode (TemplateId)');
      if (!/^\+?\d{6,20}$/.test(recipient.to)) return failure('invalid_recipient', 'invalid_phone', `not a phone number: ${recipient.to}`);
      try {
        const { status, response } = await call('SendSms', {
          PhoneNumberSet: [e164(recipient.to)],
          SmsSdkAppId: settings.smsSdkAppId,
          SignName: settings.signName,
          TemplateId: sms.templateCode,
          TemplateParamSet: positionalParams(sms.params),
          SessionContext: idempotencyKey.slice(0, 512),
        });
        const error = response.Error as { Code?: string; Message?: string } | undefined;
        if (error?.Code) return failure(classifyTencentCode(error.Code, status), error.Code, error.Message ?? '');
        const first = (response.SendStatusSet as { Code?: string; Message?: string; SerialNo?: string }[] | undefined)?.[0];
        if (!first) return failure(classifyHttpStatus(status), `http_${status}`, 'no SendStatusSet in the answer');
        if (first.Code === 'Ok') return { ok: true, providerMessageId: first.SerialNo ?? String(response.RequestId ?? '') };
        const code = first.Code ?? 'unknown';
        return failure(classifyTencentCode(code), code, first.Message ?? '');
      } catch (err) {
        return networkFailure(err);
      }
    },
    async testConnection() {
      try {
        const { status, response } = await call('DescribeSmsSignList', { SignIdSet: [], International: 0 });
        const error = response.Error as { Code?: string; Message?: string } | undefined;
        // A parameter complaint proves the signature and key were accepted; an AuthFailure does not.
        if (!error?.Code || error.Code.startsWith('InvalidParameter') || error.Code.startsWith('MissingParameter')) {
          return { ok: true, detail: 'Tencent Cloud accepted the signature and key' };
        }
        return failure(classifyTencentCode(error.Code, status), error.Code, error.Message ?? '');
      } catch (err) {
        return networkFailure(err);
      }
    },
  };
}
