import { randomUUID } from 'node:crypto';
import type { ErrorDetail } from '../../platform/errors.js';
import { formatPath } from '../../platform/http/validation.js';
import { normaliseIdentifier, type Identifier } from '../identity/index.js';
import { fastParseMessage, jsonBytesUpperBound } from './fast-validate.js';
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
  /**
   * The address the request came from: as Segment's API does, it becomes `context.ip` of every message that has
   * none (analytics.js and the mini-program SDKs never send one). A message's own `context.ip` wins.
   */
  requestIp?: string;
}

/** Validates every message; returns all problems at once, each naming the offending index and field. */
export function prepareMessages(raw: unknown[], opts: PrepareOptions): { messages: PreparedMessage[]; errors: ErrorDetail[] } {
  const messages: PreparedMessage[] = [];
  const errors: ErrorDetail[] = [];
  const batchSentAt = parseTimestamp(opts.batchSentAt);
  // A plain loop and no per-message closures: this runs for every event the server receives.
  for (let index = 0; index < raw.length; index++) {
    const prepared = prepareOne(raw[index], index, opts, batchSentAt, errors);
    if (prepared) messages.push(prepared);
  }
  return { messages, errors };
}

function fail(errors: ErrorDetail[], opts: PrepareOptions, index: number, message: string, path: readonly PropertyKey[] = []): undefined {
  errors.push({ ...(opts.single ? {} : { index }), path: formatPath(opts.single ? 'body' : `batch[${index}]`, path), message });
  return undefined;
}

function addIdentifier(identifiers: Identifier[], type: string, raw: unknown): void {
  const value = normaliseIdentifier(type, raw);
  if (value === null) return;
  for (const i of identifiers) if (i.type === type && i.value === value) return;
  identifiers.push({ type, value });
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function prepareOne(input: unknown, index: number, opts: PrepareOptions, batchSentAt: Date | null | undefined, errors: ErrorDetail[]): PreparedMessage | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return fail(errors, opts, index, 'a message must be a JSON object');
  // Exact size only when the cheap upper bound does not already prove the message small.
  if (jsonBytesUpperBound(input, MAX_MESSAGE_BYTES) > MAX_MESSAGE_BYTES) {
    const size = Buffer.byteLength(JSON.stringify(input));
    if (size > MAX_MESSAGE_BYTES) return fail(errors, opts, index, `message is ${size} bytes; the limit is ${MAX_MESSAGE_BYTES} (32 KB)`);
  }
  const type = (input as { type?: unknown }).type;
  if (typeof type !== 'string' || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    return fail(errors, opts, index, `unknown message type ${JSON.stringify(type ?? null)}; expected one of ${MESSAGE_TYPES.join(', ')}`, ['type']);
  }
  // The hand-written check accepts what zod accepts; zod runs only when it is unsure, and names the problems.
  let m = fastParseMessage(input);
  if (!m) {
    const parsed = SegmentMessage.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) fail(errors, opts, index, issue.message, issue.path);
      return undefined;
    }
    m = parsed.data;
  }
  const userId = normaliseIdentifier('userId', m.userId);
  const anonymousId = normaliseIdentifier('anonymousId', m.anonymousId);
  const identifiers: Identifier[] = [];
  let previousId: string | null = null;
  if (m.type === 'alias') {
    // previousId is, in Segment's own use, the anonymous id a person had before they were identified.
    if (userId === null) return fail(errors, opts, index, 'alias needs a userId (the new id)', ['userId']);
    previousId = normaliseIdentifier('anonymousId', m.previousId);
    if (previousId === null) return fail(errors, opts, index, 'alias previousId is a placeholder, not an id', ['previousId']);
    identifiers.push({ type: 'userId', value: userId });
    addIdentifier(identifiers, 'anonymousId', previousId);
  } else {
    if (userId === null && anonymousId === null) {
      const given = m.userId ?? m.anonymousId;
      return fail(
        errors,
        opts,
        index,
        given === undefined || given === null
          ? 'message needs a userId or an anonymousId'
          : `${JSON.stringify(given)} is a placeholder, not an id: send a real userId or anonymousId`,
        [m.userId !== undefined && m.userId !== null ? 'userId' : 'anonymousId'],
      );
    }
    if (userId !== null) identifiers.push({ type: 'userId', value: userId });
    if (anonymousId !== null) identifiers.push({ type: 'anonymousId', value: anonymousId });
  }
  const integrations = m.integrations ?? opts.batchIntegrations;
  // The message's own context is stored as is unless something must be added to it (batch context, integrations,
  // the sender's address).
  const addIp = opts.requestIp !== undefined && m.context?.ip === undefined && opts.batchContext?.ip === undefined;
  const context = (opts.batchContext || integrations || addIp ? { ...(opts.batchContext ?? {}), ...(m.context ?? {}) } : (m.context ?? {})) as Record<string, unknown> & {
    traits?: Record<string, unknown>;
  };
  if (addIp) context.ip = opts.requestIp;
  const traits = m.type === 'identify' ? (m.traits ?? {}) : null;
  if (traits) {
    addIdentifier(identifiers, 'email', traits.email);
    addIdentifier(identifiers, 'phone', traits.phone);
  }
  const contextTraits = context.traits;
  if (contextTraits && typeof contextTraits === 'object') {
    addIdentifier(identifiers, 'email', contextTraits.email);
    addIdentifier(identifiers, 'phone', contextTraits.phone);
  }
  const externalIds = m.context?.externalIds;
  if (externalIds) for (const ext of externalIds) addIdentifier(identifiers, ext.type, ext.id);

  const sentAt = m.sentAt !== undefined && m.sentAt !== null ? parseTimestamp(m.sentAt) : batchSentAt;
  const original = parseTimestamp(m.originalTimestamp ?? m.timestamp);
  if (original === null) return fail(errors, opts, index, 'timestamp is not a valid ISO 8601 date', [m.originalTimestamp != null ? 'originalTimestamp' : 'timestamp']);
  if (sentAt === null) return fail(errors, opts, index, 'sentAt is not a valid ISO 8601 date', ['sentAt']);
  if (integrations) context.integrations = integrations;

  return {
    index,
    messageId: m.messageId ?? `srv-${randomUUID()}`,
    type: m.type,
    event: m.type === 'track' ? m.event : m.type === 'page' || m.type === 'screen' ? (m.name ?? null) : null,
    userId,
    anonymousId: m.type === 'alias' ? previousId : anonymousId,
    timestamp: correctedTimestamp(opts.receivedAt, original, sentAt),
    receivedAt: opts.receivedAt,
    properties: propertiesOf(m),
    traits,
    context: hasKeys(context) ? context : null,
    identifiers,
  };
}

function propertiesOf(m: SegmentMessage): Record<string, unknown> | null {
  switch (m.type) {
    case 'track':
      return m.properties ?? {};
    case 'page':
    case 'screen':
      return m.category ? { ...(m.properties ?? {}), category: m.category } : (m.properties ?? {});
    case 'group':
      return { groupId: String(m.groupId), groupTraits: m.traits ?? {} };
    case 'alias':
      return { previousId: String(m.previousId) };
    default:
      return null;
  }
}
