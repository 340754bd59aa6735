import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { postText } from './http-post.js';
import { classifyHttpStatus, failure, networkFailure, type AdapterContext, type ChannelAdapter, type SendResult } from '../adapter.js';

interface WebhookSettings {
  url: string;
  timeoutMs: number;
  maxAttempts: number;
  backoffMs: number;
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: the timestamp is signed too, so a captured call cannot be replayed later. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Webhook: POST JSON with `X-Siyu-Signature`, `X-Siyu-Timestamp` and `Idempotency-Key`. Retryable failures (5xx,
 * 429, timeouts, refused connections) are retried with exponential backoff; a 4xx answer is final at once.
 */
export function webhookAdapter(ctx: AdapterContext): ChannelAdapter {
  const settings = ctx.settings as unknown as WebhookSettings;
  const secret = ctx.secrets.signingSecret ?? '';

  async function post(body: string, idempotencyKey: string): Promise<SendResult> {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Siyu-Webhook/1',
        'idempotency-key': idempotencyKey,
        'x-siyu-timestamp': timestamp,
        'x-siyu-signature': webhookSignature(secret, timestamp, body),
      };
      const response = await postText(settings.url, headers, body, settings.timeoutMs);
      const text = response.text;
      if (response.status < 200 || response.status > 299) return failure(classifyHttpStatus(response.status), `http_${response.status}`, text.slice(0, 300) || response.statusText);
      let id: unknown;
      try {
        id = (JSON.parse(text) as { id?: unknown }).id;
      } catch {
        // a sink may answer with no JSON at all
      }
      return { ok: true, providerMessageId: typeof id === 'string' || typeof id === 'number' ? String(id) : idempotencyKey };
    } catch (err) {
      return networkFailure(err);
    }
  }

  return {
    channel: 'webhook',
    provider: 'webhook',
    async send(message, recipient, idempotencyKey) {
      if (message.channel !== 'webhook') return failure('permanent', 'wrong_channel', `a webhook channel cannot send a ${message.channel} message`);
      const body = JSON.stringify({ ...message.payload, ...(recipient.profileId !== undefined ? { profileId: recipient.profileId } : {}) });
      let result: SendResult = failure('retryable', 'not_attempted', 'no attempt made');
      for (let attempt = 1; attempt <= settings.maxAttempts; attempt++) {
        result = await post(body, idempotencyKey);
        if (result.ok || result.error.kind !== 'retryable' || attempt === settings.maxAttempts) break;
        await sleep(settings.backoffMs * 2 ** (attempt - 1));
      }
      return result;
    },
    async testConnection() {
      const result = await post(JSON.stringify({ type: 'siyu.test', sentAt: new Date().toISOString() }), `test-${Date.now()}`);
      return result.ok ? { ok: true, detail: `${settings.url} answered 2xx` } : result;
    },
  };
}
