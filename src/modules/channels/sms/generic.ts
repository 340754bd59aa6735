import { classifyHttpStatus, failure, jsonObjectOf, networkFailure, type AdapterContext, type ChannelAdapter, type SendResult } from '../adapter.js';
import type { SmsMessage } from '../schema.js';

/**
 * A generic HTTP SMS gateway: POST `{ to, text, idempotencyKey }` as JSON (Bearer token optional); 2xx with the
 * message id in a configurable field is success, 5xx/429 retry, 400/422 naming the number (`invalid_recipient`
 * in `error`/`code`) is the address's fault, other 4xx are permanent.
 */
export function genericSmsAdapter(ctx: AdapterContext): ChannelAdapter {
  const settings = ctx.settings as { url: string; signName?: string; messageIdField: string };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (ctx.secrets.bearerToken) headers.authorization = `Bearer ${ctx.secrets.bearerToken}`;

  return {
    channel: 'sms',
    provider: 'sms_http',
    async send(message, recipient, idempotencyKey): Promise<SendResult> {
      if (message.channel !== 'sms') return failure('permanent', 'wrong_channel', `an SMS channel cannot send a ${message.channel} message`);
      const text = (message as SmsMessage).text;
      if (!text) return failure('permanent', 'text_required', 'the generic SMS gateway sends full texts: set text');
      const fullText = settings.signName ? `【${settings.signName}】${text}` : text;
      try {
        const res = await fetch(settings.url, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': idempotencyKey },
          body: JSON.stringify({ to: recipient.to, text: fullText, idempotencyKey }),
          signal: AbortSignal.timeout(10_000),
        });
        // Only an object answer has fields to read: a bare null, number or string (or no JSON at all) leaves the status
        // to decide. Reading fields off null threw, and a 200 was then reported as a network failure and sent again.
        const body = await jsonObjectOf(res);
        if (res.ok) {
          // Own field only: a field named `constructor` that the answer lacks must fall back, not give a function.
          const id = Object.hasOwn(body, settings.messageIdField) ? body[settings.messageIdField] : undefined;
          return { ok: true, providerMessageId: id === undefined ? idempotencyKey : String(id) };
        }
        const code = String(body.code ?? body.error ?? `http_${res.status}`);
        const kind = /invalid[_ ]?(recipient|number|phone)/i.test(code) ? 'invalid_recipient' : classifyHttpStatus(res.status);
        return failure(kind, code, String(body.message ?? res.statusText));
      } catch (err) {
        return networkFailure(err);
      }
    },
    async testConnection() {
      try {
        const res = await fetch(settings.url, { method: 'OPTIONS', headers, signal: AbortSignal.timeout(5_000) });
        if (res.status === 401 || res.status === 403) return failure('permanent', `http_${res.status}`, 'the gateway refused the token');
        return { ok: true, detail: `${settings.url} is reachable (HTTP ${res.status})` };
      } catch (err) {
        return networkFailure(err);
      }
    },
  };
}
