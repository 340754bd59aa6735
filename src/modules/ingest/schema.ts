import { z } from 'zod';

/**
 * The Segment tracking API spec (https://segment.com/docs/connections/spec/), as Siyu accepts it. Unknown fields
 * are kept (passthrough): clients send library metadata (`_metadata`, `integrations`) we must not reject.
 */
const Id = z.union([z.string(), z.number()]).nullish();
const Timestamp = z.union([z.string(), z.number()]).nullish();
const Json = z.record(z.string(), z.unknown());

export const ExternalId = z.object({
  id: z.union([z.string(), z.number()]),
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'letters, digits and _'),
  collection: z.string().optional(),
  encoding: z.string().optional(),
});

export const MessageContext = z
  .object({
    externalIds: z.array(ExternalId).optional(),
    traits: Json.optional(),
  })
  .passthrough();

const Common = {
  messageId: z.string().max(256).optional(),
  userId: Id,
  anonymousId: Id,
  timestamp: Timestamp,
  originalTimestamp: Timestamp,
  sentAt: Timestamp,
  context: MessageContext.optional(),
  integrations: Json.optional(),
};

export const IdentifyMessage = z.object({ type: z.literal('identify'), traits: Json.optional(), ...Common }).passthrough();
export const TrackMessage = z
  .object({ type: z.literal('track'), event: z.string().trim().min(1, 'track needs an event name').max(200), properties: Json.optional(), ...Common })
  .passthrough();
export const PageMessage = z
  .object({ type: z.literal('page'), name: z.string().max(200).nullish(), category: z.string().max(200).nullish(), properties: Json.optional(), ...Common })
  .passthrough();
export const ScreenMessage = z
  .object({ type: z.literal('screen'), name: z.string().max(200).nullish(), category: z.string().max(200).nullish(), properties: Json.optional(), ...Common })
  .passthrough();
export const GroupMessage = z
  .object({ type: z.literal('group'), groupId: z.union([z.string().min(1), z.number()]), traits: Json.optional(), ...Common })
  .passthrough();
export const AliasMessage = z
  .object({ type: z.literal('alias'), previousId: z.union([z.string().min(1), z.number()]), ...Common })
  .passthrough();

export const SegmentMessage = z.discriminatedUnion('type', [IdentifyMessage, TrackMessage, PageMessage, ScreenMessage, GroupMessage, AliasMessage]);
export type SegmentMessage = z.infer<typeof SegmentMessage>;
export const MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const BatchRequest = z
  .object({
    batch: z.array(z.record(z.string(), z.unknown())),
    context: Json.optional(),
    integrations: Json.optional(),
    sentAt: Timestamp,
    writeKey: z.string().optional(),
  })
  .passthrough();

export const IngestResponse = z.object({
  success: z.literal(true),
  accepted: z.number().int().describe('messages stored (or, when queued, durably taken for application)'),
  duplicates: z.number().int().describe('messages already stored under their messageId (when queued: repeats within the request only)'),
  queued: z
    .literal(true)
    .optional()
    .describe('present when the server was busy: the messages are committed to the durable intake and applied within moments, exactly once'),
});

/** Segment's limits. */
export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
