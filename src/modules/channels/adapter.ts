import type { Db } from '../../platform/db/database.js';
import type { ChannelKind, ChannelMessage, ProviderKind } from './schema.js';

/** How a failed send should be treated: try again later, never again, or never again for this address. */
export type FailureKind = 'retryable' | 'permanent' | 'invalid_recipient';

export interface SendFailure {
  kind: FailureKind;
  /** The provider's own code (`40003`, `isv.MOBILE_NUMBER_ILLEGAL`, `http_503`…). */
  code: string;
  message: string;
}

export type SendResult = { ok: true; providerMessageId: string } | { ok: false; error: SendFailure };

export interface Recipient {
  /** Email address, phone number, WeChat openid, WeCom external_userid; ignored by webhooks. */
  to: string;
  profileId?: number | undefined;
}

/** What an adapter knows about where it runs: its decrypted configuration and the deployment's public URL. */
export interface AdapterContext {
  db: Db;
  workspaceId: string;
  configId: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  publicUrl: string;
  /** Set by deliver(): used for tracking pixels, click links and unsubscribe links. */
  deliveryId?: string | undefined;
}

/** One interface for every channel: send a message to one person, at most once per idempotency key. */
export interface ChannelAdapter {
  channel: ChannelKind;
  provider: ProviderKind;
  send(message: ChannelMessage, recipient: Recipient, idempotencyKey: string): Promise<SendResult>;
  /** Proves the credentials work without messaging anyone (a token fetch, an SMTP handshake…). */
  testConnection(): Promise<{ ok: true; detail: string } | { ok: false; error: SendFailure }>;
}

export const failure = (kind: FailureKind, code: string, message: string): { ok: false; error: SendFailure } => ({
  ok: false,
  error: { kind, code, message },
});

/** Classifies a transport-level failure (no answer): always worth retrying. */
export function networkFailure(err: unknown): { ok: false; error: SendFailure } {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
  return failure('retryable', timedOut ? 'timeout' : (e.cause?.code ?? e.code ?? 'network'), e.message ?? String(err));
}

/** HTTP status → failure kind, for providers whose answer carries no finer code: 5xx/429/408 retry, other 4xx do not. */
export function classifyHttpStatus(status: number): FailureKind {
  return status >= 500 || status === 429 || status === 408 ? 'retryable' : 'permanent';
}

/**
 * A provider's JSON answer as an object: a body that is not JSON, or is a bare value (`null`, a number, a string, an
 * array, as a proxy or gateway in front of the provider may answer), reads as an empty object, so the adapter judges
 * it by its HTTP status instead of failing on a property of `null`.
 */
export async function jsonObjectOf(response: Response): Promise<Record<string, unknown>> {
  const parsed: unknown = await response.json().catch(() => null);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}
