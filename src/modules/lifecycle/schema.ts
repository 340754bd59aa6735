import { z } from 'zod';
import { LifecycleStage, RfmClass } from '../rules/index.js';

const EventNames = z.array(z.string().min(1).max(200)).max(200);

/** Per workspace: which events put a profile in which AIPL stage, within how many days. */
export const AiplSettings = z.object({
  windowDays: z.number().int().min(1).max(3650),
  /** Paid orders within the window that make a repurchaser (L); one paid order makes P. */
  repurchaseOrders: z.number().int().min(2).max(100),
  stages: z.object({ A: EventNames, I: EventNames, P: EventNames, L: EventNames }),
});
export type AiplSettings = z.infer<typeof AiplSettings>;

export const RfmSettings = z.object({
  /** Days of orders counted for F and M (R is days since the last order, whenever it was). */
  windowDays: z.number().int().min(1).max(3650),
  scoring: z.enum(['quintile', 'class8']),
});
export type RfmSettings = z.infer<typeof RfmSettings>;

export const LifecycleSettings = z.object({ aipl: AiplSettings, rfm: RfmSettings });
export type LifecycleSettings = z.infer<typeof LifecycleSettings>;

/** Defaults for the demo brand, in Segment's spec'd event names where one exists. */
export const DEFAULT_SETTINGS: LifecycleSettings = {
  aipl: {
    windowDays: 90,
    repurchaseOrders: 2,
    stages: {
      A: ['Ad Impression', 'Ad Exposed', 'Category Searched', 'Products Searched'],
      I: [
        'Ad Clicked', 'Page Viewed', 'Product Viewed', 'Brand Searched', 'Followed', 'Subscribed', 'Group Joined',
        'Product Added', 'Product Added to Wishlist', 'Trial Requested', 'Sample Requested', 'Interacted',
        'Mini Program Opened', 'Coupon Claimed', 'Store Visited',
      ],
      P: ['Order Completed'],
      L: ['Product Reviewed', 'Product Shared', 'Referral Sent'],
    },
  },
  rfm: { windowDays: 365, scoring: 'class8' },
};

export const RFM_CLASS_LABELS: Record<z.infer<typeof RfmClass>, string> = {
  important_value: '重要价值',
  important_retain: '重要保持',
  important_develop: '重要发展',
  important_winback: '重要挽留',
  general_value: '一般价值',
  general_retain: '一般保持',
  general_develop: '一般发展',
  general_winback: '一般挽留',
};

export const ProfileLifecycleView = z.object({
  stage: LifecycleStage.nullable(),
  since: z.date().nullable(),
  history: z.array(z.object({ from: z.string().nullable(), to: z.string().nullable(), at: z.date() })),
  rfm: z
    .object({
      recencyDays: z.number(),
      frequency: z.number(),
      monetary: z.number(),
      rScore: z.number(),
      fScore: z.number(),
      mScore: z.number(),
      class8: z.string(),
      classLabel: z.string(),
      computedAt: z.date(),
    })
    .nullable(),
});

export const AiplReport = z.object({
  daily: z.array(z.object({ day: z.string(), A: z.number(), I: z.number(), P: z.number(), L: z.number() })),
  flows: z.array(z.object({ from: z.string(), to: z.string(), profiles: z.number(), backflow: z.boolean() })),
});
export type AiplReport = z.infer<typeof AiplReport>;

export const RfmReport = z.object({
  scoring: z.enum(['quintile', 'class8']),
  classes: z.array(z.object({ class8: z.string(), label: z.string(), profiles: z.number(), revenue: z.number() })),
  grid: z.array(z.object({ r: z.number(), f: z.number(), profiles: z.number(), revenue: z.number() })),
  computedAt: z.date().nullable(),
});
export type RfmReport = z.infer<typeof RfmReport>;
