import { z } from 'zod';

export const IdentifierView = z.object({ id: z.number(), type: z.string(), value: z.string(), firstSeenAt: z.date() });
export const MergeView = z.object({
  id: z.number(),
  kind: z.enum(['merge', 'unmerge']),
  profileId: z.number(),
  otherProfileId: z.number(),
  identifierIds: z.array(z.number()),
  reason: z.string(),
  messageId: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  undoneAt: z.date().nullable(),
});
export const ConflictView = z.object({
  identifier: z.string(),
  otherIdentifier: z.string(),
  reason: z.string(),
  messageId: z.string(),
  eventTime: z.date(),
});
export const ProfileView = z.object({
  id: z.number(),
  redirectedFrom: z.number().optional().describe('set when the requested id was absorbed by a merge'),
  traits: z.record(z.string(), z.unknown()),
  traitTimes: z.record(z.string(), z.string()).describe('when each trait value was set (event time)'),
  identifiers: z.array(IdentifierView),
  channels: z.array(z.string()).describe('channels the person is reachable on, from their identifiers'),
  merges: z.array(MergeView),
  conflicts: z.array(ConflictView),
  absorbedIds: z.array(z.number()),
  firstSeenAt: z.date().nullable(),
  lastSeenAt: z.date().nullable(),
  createdAt: z.date(),
});
export type ProfileView = z.infer<typeof ProfileView>;

export const ProfileSummary = z.object({
  id: z.number(),
  traits: z.record(z.string(), z.unknown()),
  identifiers: z.array(z.object({ type: z.string(), value: z.string() })),
  firstSeenAt: z.date().nullable(),
  lastSeenAt: z.date().nullable(),
});

export const ListProfilesQuery = z.object({
  q: z.string().trim().max(200).optional().describe('an identifier value (exact), or part of a name, email or phone'),
  kind: z
    .enum(['all', 'members', 'known', 'anonymous'])
    .default('all')
    .describe('members: has a member number; known: has any identifier other than anonymousId; anonymous: only anonymousIds'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().describe('nextCursor of the previous page'),
});

export const TimelineQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().optional(),
  kind: z.enum(['event', 'order']).optional(),
});
export const TimelineEntry = z.object({
  kind: z.enum(['event', 'order']),
  id: z.string(),
  type: z.string(),
  event: z.string().nullable(),
  timestamp: z.date(),
  properties: z.record(z.string(), z.unknown()).nullable(),
  traits: z.record(z.string(), z.unknown()).nullable().optional(),
  order: z.record(z.string(), z.unknown()).optional(),
});

export const LookupQuery = z.object({ type: z.string().min(1), value: z.string().min(1) });
export const TraitsPatch = z.object({ traits: z.record(z.string(), z.unknown()).refine((t) => Object.keys(t).length > 0, 'give at least one trait') });
export const UnmergeBody = z.object({ mergeId: z.coerce.number().int().positive() });
export const ProfileIdParams = z.object({ id: z.coerce.number().int().positive() });

/** Which channel an identifier type makes a person reachable on. */
export const CHANNEL_OF_IDENTIFIER: Record<string, string> = {
  email: 'email',
  phone: 'sms',
  wechat_openid: 'wechat',
  wecom_external_userid: 'wecom',
};
