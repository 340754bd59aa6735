import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterContext } from '../../src/modules/channels/adapter.js';
import { webhookAdapter } from '../../src/modules/channels/webhook/adapter.js';
import { startFakeServer, type FakeServer } from './support.js';

const SECRET = 'whsec_test';

describe('webhook adapter against a local sink', () => {
  let sink: FakeServer;
  const attemptsByKey = new Map<string, number>();
  beforeAll(async () => {
    sink = await startFakeServer((req) => {
      const key = String(req.headers['idempotency-key']);
      const attempt = (attemptsByKey.get(key) ?? 0) + 1;
      attemptsByKey.set(key, attempt);
      const timestamp = String(req.headers['x-siyu-timestamp']);
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${req.body}`).digest('hex')}`;
      if (req.headers['x-siyu-signature'] !== expected) return { status: 401, text: 'bad signature' };
      switch (req.url.pathname) {
        case '/flaky':
          return attempt < 3 ? { status: 503, text: 'busy' } : { json: { id: `evt-${attempt}` } };
        case '/reject':
          return { status: 422, json: { error: 'unprocessable' } };
        case '/slow':
          return attempt === 1 ? { delayMs: 400, json: { id: 'late' } } : { json: { id: 'fast' } };
        default:
          return { status: 204 };
      }
    });
  });
  afterAll(() => sink.close());

  const adapter = (path: string, overrides: Record<string, unknown> = {}, secret = SECRET) =>
    webhookAdapter({
      workspaceId: 'ws_wh', configId: 'ch_wh', publicUrl: 'http://127.0.0.1',
      settings: { url: `${sink.url}${path}`, timeoutMs: 2_000, maxAttempts: 3, backoffMs: 5, ...overrides },
      secrets: { signingSecret: secret },
    } as unknown as AdapterContext);
  const message = { channel: 'webhook' as const, payload: { event: 'journey.step', coupon: '满100减20' } };

  it('signs the body and timestamp (X-Siyu-Signature: sha256=<hex>) and posts JSON', async () => {
    const result = await adapter('/ok').send(message, { to: '-', profileId: 42 }, 'key-ok');
    expect(result).toEqual({ ok: true, providerMessageId: 'key-ok' });
    const req = sink.requests.at(-1)!;
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ event: 'journey.step', coupon: '满100减20', profileId: 42 });
    expect(await adapter('/ok', {}, 'wrong-secret').send(message, { to: '-' }, 'key-bad')).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'http_401' } });
  });

  it('retries 5xx with backoff under the same idempotency key until it succeeds', async () => {
    expect(await adapter('/flaky').send(message, { to: '-' }, 'key-flaky')).toEqual({ ok: true, providerMessageId: 'evt-3' });
    expect(attemptsByKey.get('key-flaky')).toBe(3);
  });

  it('gives up after maxAttempts on 5xx, and never retries a 4xx', async () => {
    expect(await adapter('/flaky', { maxAttempts: 2 }).send(message, { to: '-' }, 'key-giveup')).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'http_503' } });
    expect(attemptsByKey.get('key-giveup')).toBe(2);
    expect(await adapter('/reject').send(message, { to: '-' }, 'key-422')).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'http_422' } });
    expect(attemptsByKey.get('key-422')).toBe(1);
  });

  it('treats a timeout as retryable and retries it', async () => {
    const result = await adapter('/slow', { timeoutMs: 100 }).send(message, { to: '-' }, 'key-slow');
    expect(result).toEqual({ ok: true, providerMessageId: 'fast' });
    expect(attemptsByKey.get('key-slow')).toBe(2);
    const once = await adapter('/slow', { timeoutMs: 100, maxAttempts: 1 }).send(message, { to: '-' }, 'key-slow-once');
    expect(once).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'timeout' } });
  });

  it('classifies an unreachable sink as retryable', async () => {
    const closed = await startFakeServer(() => ({}));
    await closed.close();
    const result = await webhookAdapter({ workspaceId: 'w', configId: 'c', publicUrl: '', settings: { url: closed.url, timeoutMs: 500, maxAttempts: 1, backoffMs: 0 }, secrets: { signingSecret: 's' } } as unknown as AdapterContext)
      .send(message, { to: '-' }, 'key-down');
    expect(result).toMatchObject({ ok: false, error: { kind: 'retryable' } });
  });
});
