import { z } from 'zod';
import { ChannelKind } from '../channels/index.js';
import { Rule } from '../rules/index.js';

/** The journey definition language, version 1: a trigger, nodes joined by edges, and policies. Stored as JSON. */
export const JOURNEY_SCHEMA_VERSION = 1;

const NodeId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (1–64)');
const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM (24 h)');
const TimeZoneOf = z.enum(['profile', 'workspace']).describe('the profile\'s `timezone` trait (falling back to the workspace\'s), or the workspace\'s');

/** A property filter on an event: `amount gt 500`, `sku eq "A1"`. */
export const PropertyFilter = z.object({
  property: z.string().min(1),
  op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists']),
  value: z.union([z.string(), z.number(), z.boolean()]).optional(),
});
export type PropertyFilter = z.infer<typeof PropertyFilter>;

export const Trigger = z.discriminatedUnion('type', [
  z.object({ type: z.literal('segment_entered'), segmentId: z.string().min(1) }),
  z.object({ type: z.literal('event'), event: z.string().min(1), filters: z.array(PropertyFilter).max(20).default([]) }),
  z.object({ type: z.literal('tag_applied'), tagId: z.string().min(1) }),
  z.object({
    type: z.literal('date'),
    trait: z.string().min(1).describe('a date trait, YYYY-MM-DD (birthday, member_since, membership_expires_at…)'),
    match: z.enum(['anniversary', 'exact']).default('anniversary').describe('anniversary: same month and day each year; exact: that very date'),
    offsetDays: z.number().int().min(-365).max(365).default(0).describe('enter this many days before (negative) or after the date'),
    at: TimeOfDay.default('09:00').describe('time of day, in the workspace time zone, at which people enter'),
  }),
  z.object({
    type: z.literal('schedule'),
    cron: z.string().min(1).describe('cron expression, in the workspace time zone'),
    segmentId: z.string().min(1).optional().describe('who enters at each firing (default: every profile)'),
  }),
  z.object({ type: z.literal('manual') }),
]);
export type Trigger = z.infer<typeof Trigger>;

const base = { id: NodeId, label: z.string().max(200).optional() };

export const SplitVariant = z.object({ key: NodeId, percent: z.number().min(0).max(100) });

export const JourneyNode = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('wait'), duration: z.object({ days: z.number().int().min(0).default(0), hours: z.number().int().min(0).default(0), minutes: z.number().int().min(0).default(0), seconds: z.number().int().min(0).default(0) }) }),
  z.object({ ...base, type: z.literal('wait_until'), time: TimeOfDay, weekdays: z.array(z.number().int().min(1).max(7)).max(7).optional().describe('ISO weekdays (1 = Monday); any day if absent'), timezone: TimeZoneOf.default('profile') }),
  z.object({ ...base, type: z.literal('wait_for_event'), event: z.string().min(1), filters: z.array(PropertyFilter).max(20).default([]), timeoutHours: z.number().positive().max(24 * 366) }),
  z.object({ ...base, type: z.literal('condition'), rule: Rule }),
  z.object({ ...base, type: z.literal('split'), variants: z.array(SplitVariant).min(2).max(10) }),
  z.object({
    ...base,
    type: z.literal('send'),
    channelId: z.string().min(1).describe('channel configuration id'),
    templateId: z.string().min(1),
    fallback: z.object({ channelId: z.string().min(1), templateId: z.string().min(1) }).optional().describe('used when the person cannot be reached on the first channel'),
    transactional: z.boolean().default(false).describe('transactional messages skip consent, quiet hours and frequency caps'),
  }),
  z.object({ ...base, type: z.literal('add_tag'), tagId: z.string().min(1), value: z.string().max(200).optional() }),
  z.object({ ...base, type: z.literal('remove_tag'), tagId: z.string().min(1) }),
  z.object({ ...base, type: z.literal('set_trait'), traits: z.record(z.string(), z.unknown()).refine((t) => Object.keys(t).length > 0, 'at least one trait') }),
  z.object({ ...base, type: z.literal('webhook'), channelId: z.string().min(1).describe('a webhook channel configuration'), payload: z.record(z.string(), z.unknown()).default({}) }),
  z.object({ ...base, type: z.literal('award_points'), points: z.number().int().positive(), reason: z.string().min(1).max(200) }),
  z.object({ ...base, type: z.literal('issue_coupon'), couponTemplateId: z.string().min(1) }),
  z.object({ ...base, type: z.literal('assign_guide'), guideId: z.string().min(1).optional().describe('a guide; absent: the profile\'s own guide when organisation exists'), note: z.string().max(500).optional() }),
  z.object({ ...base, type: z.literal('exit') }),
]);
export type JourneyNode = z.infer<typeof JourneyNode>;
export type NodeType = JourneyNode['type'];

/** An edge leaves a node by a branch: `next` (one-exit nodes), `yes`/`no`, `event`/`timeout`, or a split variant key. */
export const Edge = z.object({ from: NodeId, to: NodeId, branch: z.string().min(1).default('next') });
export type Edge = z.infer<typeof Edge>;

const EventOrRule = z
  .object({ event: z.string().min(1).optional(), filters: z.array(PropertyFilter).max(20).default([]), rule: Rule.optional() })
  .refine((g) => g.event !== undefined || g.rule !== undefined, 'give an event or a rule');

export const Policies = z.object({
  reentry: z.enum(['never', 'after_finish', 'any_time']).default('after_finish'),
  goal: EventOrRule.optional().describe('met: the person exits and counts as converted'),
  exitCriteria: EventOrRule.optional().describe('met: the person exits (not converted)'),
  frequencyCap: z
    .object({ perChannel: z.number().int().min(1).max(100).default(2), periodHours: z.number().int().min(1).max(24 * 31).default(24) })
    .default({ perChannel: 2, periodHours: 24 })
    .describe('marketing messages per person per channel across all journeys'),
  quietHours: z
    .object({ enabled: z.boolean().default(true), start: TimeOfDay.default('21:00'), end: TimeOfDay.default('09:00'), timezone: TimeZoneOf.default('profile') })
    .default({ enabled: true, start: '21:00', end: '09:00', timezone: 'profile' }),
  consent: z
    .object({ trait: z.string().min(1).default('consent'), requireOptIn: z.boolean().default(false) })
    .default({ trait: 'consent', requireOptIn: false })
    .describe('marketing sends need traits[trait][channel] !== false (=== true with requireOptIn) and no unsubscribe'),
});
export type Policies = z.infer<typeof Policies>;

export const JourneyDefinition = z
  .object({
    schemaVersion: z.literal(JOURNEY_SCHEMA_VERSION).default(JOURNEY_SCHEMA_VERSION),
    trigger: Trigger,
    start: NodeId.describe('the first node'),
    nodes: z.array(JourneyNode).min(1).max(500),
    edges: z.array(Edge).max(2000).default([]),
    policies: Policies.default(Policies.parse({})),
  })
  .meta({ id: 'JourneyDefinition', description: 'A journey (schema version 1): trigger, nodes, edges and policies.' });
export type JourneyDefinition = z.infer<typeof JourneyDefinition>;

export const JourneyStatus = z.enum(['draft', 'published', 'paused', 'archived']);
export type JourneyStatus = z.infer<typeof JourneyStatus>;

/** Canvas positions by node id (and `trigger`): presentation only, kept per version beside the definition, never read by the engine. */
export const JourneyLayout = z
  .record(z.string().max(100), z.object({ x: z.number().finite(), y: z.number().finite() }))
  .refine((l) => Object.keys(l).length <= 1000, 'at most 1000 positions')
  .meta({ id: 'JourneyLayout' });
export type JourneyLayout = z.infer<typeof JourneyLayout>;

export const JourneyInput = z.object({
  name: z.string().trim().min(1).max(200),
  definition: z.unknown().describe('a JourneyDefinition (validated, errors name the node)'),
  layout: JourneyLayout.optional().describe('canvas positions; kept from the previous version when left out'),
});
export type JourneyInput = z.infer<typeof JourneyInput>;

export const JourneyView = z.object({
  id: z.string(),
  name: z.string(),
  status: JourneyStatus,
  latestVersion: z.number(),
  publishedVersion: z.number().nullable(),
  templateKey: z.string().nullable(),
  definition: z.unknown().describe('the latest version'),
  layout: JourneyLayout.nullable().describe('canvas positions of the latest version'),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type JourneyView = z.infer<typeof JourneyView>;

export const JourneyVersionView = z.object({ version: z.number(), definition: z.unknown(), createdAt: z.date(), publishedAt: z.date().nullable() });

export const NodeStats = z.object({ nodeId: z.string(), type: z.string(), entered: z.number(), waiting: z.number(), exited: z.number(), converted: z.number() });
export const JourneyStats = z.object({
  entered: z.number(),
  active: z.number(),
  finished: z.number(),
  exited: z.number(),
  converted: z.number(),
  nodes: z.array(NodeStats),
});

export const PathStep = z.object({ nodeId: z.string().nullable(), outcome: z.string(), detail: z.unknown().nullable(), at: z.date() });
export const JourneyPath = z.object({
  entryId: z.number(),
  journeyId: z.string(),
  journeyName: z.string(),
  version: z.number(),
  status: z.enum(['active', 'finished', 'exited']),
  nodeId: z.string().describe('current node (the last one, when finished)'),
  enteredAt: z.date(),
  finishedAt: z.date().nullable(),
  exitReason: z.string().nullable(),
  converted: z.boolean(),
  steps: z.array(PathStep),
});
export type JourneyPath = z.infer<typeof JourneyPath>;
