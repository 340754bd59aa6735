import { z } from 'zod';
import { Rule } from '../rules/index.js';

/** Tag categories from the tag system (标签体系): basic info, consumption, preference, social, activity, custom. */
export const TagCategory = z.enum(['basic', 'consumption', 'preference', 'social', 'activity', 'custom']);
export type TagCategory = z.infer<typeof TagCategory>;

export const TagGroupInput = z.object({
  name: z.string().trim().min(1).max(100),
  category: TagCategory,
  description: z.string().max(1000).optional(),
});
export const TagGroup = TagGroupInput.extend({ id: z.string(), createdAt: z.date() });
export type TagGroup = z.infer<typeof TagGroup>;

export const TagInput = z.object({
  groupId: z.string().min(1),
  name: z.string().trim().min(1).max(100),
  description: z.string().max(1000).optional(),
  /** A rule tag is decided by its rule and kept current; a manual tag is applied by people, imports and journeys. */
  rule: Rule.optional(),
  /** The value a rule tag gives its members (e.g. `skincare` for `preferred_category`); empty for none. */
  ruleValue: z.string().max(200).optional(),
});
export type TagInput = z.infer<typeof TagInput>;

export const TagUpdate = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  description: z.string().max(1000).optional(),
  groupId: z.string().min(1).optional(),
  rule: Rule.optional(),
  ruleValue: z.string().max(200).optional(),
});
export type TagUpdate = z.infer<typeof TagUpdate>;

export const Tag = z.object({
  id: z.string(),
  groupId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  kind: z.enum(['manual', 'rule']),
  rule: z.unknown().nullable(),
  ruleValue: z.string(),
  archivedAt: z.date().nullable(),
  mergedInto: z.string().nullable(),
  computedAt: z.date().nullable(),
  size: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Tag = z.infer<typeof Tag>;

export const TagSource = z.enum(['manual', 'import', 'journey']);

export const ApplyTagInput = z.object({
  profileIds: z.array(z.number().int().positive()).min(1).max(10_000),
  value: z.string().max(200).optional(),
  source: TagSource.optional(),
});

export const TagHistoryEntry = z.object({
  tagId: z.string(),
  tagName: z.string(),
  profileId: z.number(),
  originProfileId: z.number(),
  action: z.enum(['apply', 'remove']),
  value: z.string(),
  cause: z.string(),
  actor: z.string().nullable(),
  at: z.date(),
});
export type TagHistoryEntry = z.infer<typeof TagHistoryEntry>;

export const ProfileTag = z.object({ tagId: z.string(), tagName: z.string(), groupId: z.string(), value: z.string(), source: z.string(), assignedAt: z.date() });
export type ProfileTag = z.infer<typeof ProfileTag>;

export const OverlapRef = z.object({ kind: z.enum(['tag', 'segment']), id: z.string().min(1) });
export type OverlapRef = z.infer<typeof OverlapRef>;
export const OverlapReport = z.object({
  sizes: z.array(OverlapRef.extend({ size: z.number().int() })),
  pairs: z.array(z.object({ a: OverlapRef, b: OverlapRef, intersection: z.number().int(), union: z.number().int(), jaccard: z.number() })),
});
export type OverlapReport = z.infer<typeof OverlapReport>;
