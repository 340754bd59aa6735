import { randomUUID } from 'node:crypto';
import type { ErrorDetail } from '../../platform/errors.js';
import { formatPath } from '../../platform/http/validation.js';
import { normaliseIdentifier, type Identifier } from '../identity/index.js';
import { MAX_MESSAGE_BYTES, MESSAGE_TYPES, SegmentMessage } from './schema.js';
import { correctedTimestamp, parseTimestamp } from './timestamps.js';

/** A validated message, ready to store: identifiers extracted and normalised, timestamp corrected. */
export interface PreparedMessage {
  index: number;
  messageId: string;
  type: string;
  event: string | null;
  userId: string | null;
  anonymousId: string | null;
  timestamp: Date;
  receivedAt: Date;
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
  identifiers: Identifier[];
}

export interface PrepareOptions {
  receivedAt: Date;
  /** Batch-level fields that apply to every message (Segment's /v1/batch envelope). */
  batchContext?: Record<string, unknown>;
  batchIntegrations?: Record<string, unknown>;
  batchSentAt?: unknown;
  /** For a single call (/v1/track…), errors name `body`; in a batch, `batch[i]`. */
  single?: boolean;
}

/** Validates every message; returns all problems at once, each naming the offending index and field. */
export function prepareMessages(raw: unknown[], opts: PrepareOptions): { messages: PreparedMessage[]; errors: ErrorDetail[] } {
  const messages: PreparedMessage[] = [];
  const errors: ErrorDetail[] = [];
  raw.forEach((input, index) => {
    const where = opts.single ? 'body' : `batch[${index}]`;
    const fail = (message: string, path: readonly PropertyKey[] = []) =>
      errors.push({ ...(opts.single ? {} : { index }), path: formatPath(where, path), message });
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail('a message must be a JSON object');
    const size = Buffer.byteLength(JSON.stringify(input));
    if (size > MAX_MESSAGE_BYTES) return fail(`message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES} (32 KB)`);
    const type = (input as { type?: unknown }).type;
    if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
      return fail(`unknown message type ${JSON.stringify(type ?? null)}; expected one of ${MESSAGE_TYPES.join(', ')}`, ['type']);
    }
    const parsed = SegmentMessage.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) fail(issue.message, issue.path);
      return;
    }
    const m = parsed.data;
    const userId = normaliseIdentifier('userId', m.userId);
    const anonymousId = normaliseIdentifier('anonymousId', m.anonymousId);
    const identifiers: Identifier[] = [];
    const add = (type: string, value: unknown) => {
      const v = normaliseIdentifier(type, value);
      if (v !== null && !identifiers.some((i) => i.type === type && i.value === v)) identifiers.push({ type, value: v });
    };
    if (m.type === 'alias') {
      // previousId is, in Segment's own use, the anonymous id a person had before they were identified.
      if (userId === null) return fail('alias needs a userId (the new id)', ['userId']);
      const previous = normaliseIdentifier('anonymousId', m.previousId);
      if (previous === null) return fail('alias previousId is a placeholder, not an id', ['previousId']);
      add('userId', userId);
      add('anonymousId', previous);
    } else {
      if (userId === null && anonymousId === null) {
        const given = m.userId ?? m.anonymousId;
        return fail(
          given === undefined || given === null
            ? 'message needs a userId or an anonymousId'
            : `${JSON.stringify(given)} is a placeholder, not an id: send a real userId or anonymousId`,
          [m.userId !== undefined && m.userId !== null ? 'userId' : 'anonymousId'],
        );
      }
      if (userId !== null) add('userId', userId);
      if (anonymousId !== null) add('anonymousId', anonymousId);
    }
    const context = { ...(opts.batchContext ?? {}), ...(m.context ?? {}) } as Record<string, unknown> & { traits?: Record<string, unknown> };
    const traits = m.type === 'identify' ? (m.traits ?? {}) : null;
    for (const source of [traits, context.traits]) {
      if (source && typeof source === 'object') {
        add('email', (source as Record<string, unknown>).email);
        add('phone', (source as Record<string, unknown>).phone);
      }
    }
    const externalIds = (m.context?.externalIds ?? []) as Array<{ id: string | number; type: string }>;
    for (const ext of externalIds) add(ext.type, ext.id);

    const sentAt = parseTimestamp(m.sentAt ?? opts.batchSentAt);
    const original = parseTimestamp(m.originalTimestamp ?? m.timestamp);
    if (original === null) return fail('timestamp is not a valid ISO 8601 date', [m.originalTimestamp != null ? 'originalTimestamp' : 'timestamp']);
    if (sentAt === null) return fail('sentAt is not a valid ISO 8601 date', ['sentAt']);
    const integrations = m.integrations ?? opts.batchIntegrations;
    if (integrations) context.integrations = integrations;

    messages.push({
      index,
      messageId: m.messageId ?? `srv-${randomUUID()}`,
      type: m.type,
      event: m.type === 'track' ? m.event : m.type === 'page' || m.type === 'screen' ? (m.name ?? null) : null,
      userId,
      anonymousId: m.type === 'alias' ? normaliseIdentifier('anonymousId', m.previousId) : anonymousId,
      timestamp: correctedTimestamp(opts.receivedAt, original, sentAt),
      receivedAt: opts.receivedAt,
      properties: propertiesOf(m),
      traits,
      context: Object.keys(context).length ? context : null,
      identifiers,
    });
  });
  return { messages, errors };
}

function propertiesOf(m: SegmentMessage): Record<string, unknown> | null {
  switch (m.type) {
    case 'track':
      return m.properties ?? {};
    case 'page':
    case 'screen':
      return { ...(m.properties ?? {}), ...(m.category ? { category: m.category } : {}) };
    case 'group':
      return { groupId: String(m.groupId), groupTraits: m.traits ?? {} };
    case 'alias':
      return { previousId: String(m.previousId) };
    default:
      return null;
  }
}
