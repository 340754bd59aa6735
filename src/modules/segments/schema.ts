import { z } from 'zod';
import { Rule } from '../rules/index.js';

export const SegmentInput = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  rule: Rule,
});
export type SegmentInput = z.infer<typeof SegmentInput>;

export const StaticSegmentInput = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    profileIds: z.array(z.number().int().positive()).max(100_000).optional(),
    /** CSV whose first column header is `profile_id` or an identifier type (`phone`, `email`, `member_no`…). */
    csv: z.string().max(20_000_000).optional(),
    /** Freeze the current members of another segment. */
    snapshotOf: z.string().optional(),
  })
  .refine((v) => [v.profileIds, v.csv, v.snapshotOf].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of profileIds, csv, snapshotOf',
    path: ['profileIds'],
  });
export type StaticSegmentInput = z.infer<typeof StaticSegmentInput>;

export const SegmentUpdate = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  rule: Rule.optional(),
});
export type SegmentUpdate = z.infer<typeof SegmentUpdate>;

export const Segment = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  kind: z.enum(['rule', 'static']),
  rule: z.unknown().nullable(),
  size: z.number().int(),
  computedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type Segment = z.infer<typeof Segment>;

export const Member = z.object({
  profileId: z.number(),
  enteredAt: z.date(),
  traits: z.record(z.string(), z.unknown()),
  identifiers: z.array(z.object({ type: z.string(), value: z.string() })),
});
