import { z } from 'zod';
import { MAX_INT4, requestDate } from '../../platform/http/validation.js';

/** Zod schemas of the loyalty concepts: they validate the API, document it (OpenAPI) and drive console forms. */

const points = z.number().int().positive().max(100_000_000);
// numeric(14, 2) columns: twelve digits before the point.
const money = z.number().nonnegative().max(999_999_999_999.99);

export const ExpiryPolicy = z.object({
  mode: z.enum(['none', 'lot', 'end_of_year']).default('none').describe("lot: each credit expires `days` after it; end_of_year: at the end of 31 Dec of the earning year (years: 1) or of a later year (years: 2 = next year), years and days of the workspace's time zone"),
  days: z.number().int().positive().default(365),
  years: z.number().int().positive().default(1),
  notifyDaysBefore: z.number().int().nonnegative().default(30),
});

export const OrderEarning = z.object({
  pointsPerYuan: z.number().nonnegative().default(1),
  excludeShipping: z.boolean().default(true),
  excludedSkus: z.array(z.string()).default([]),
  excludedCategories: z.array(z.string()).default([]),
  pendingDays: z.number().int().nonnegative().default(0).describe('refund window: points stay pending this many days'),
  maxPointsPerOrder: z.number().int().positive().optional(),
});

export const EventRule = z.object({
  id: z.string().min(1).max(64),
  event: z.string().min(1).describe('event name, e.g. review, share, referral, profile_completed'),
  points,
  dailyTimes: z.number().int().positive().optional().describe("at most this many awards per profile per day (days of the workspace's time zone)"),
  totalTimes: z.number().int().positive().optional().describe('at most this many awards per profile ever'),
});

export const StreakBonus = z.object({ day: z.number().int().positive(), points });
export const CheckinSettings = z.object({
  points: z.number().int().nonnegative().default(5),
  streakBonuses: z.array(StreakBonus).default([{ day: 7, points: 50 }]),
  cycleDays: z.number().int().positive().optional().describe('restart the streak count after this many days (e.g. 7)'),
  makeUpCost: z.number().int().nonnegative().default(20),
  makeUpWindowDays: z.number().int().nonnegative().default(7),
});

export const TierProgram = z.object({
  basis: z.enum(['points', 'spend']).default('points'),
  period: z.enum(['rolling', 'calendar']).default('rolling').describe("calendar: the year so far, from 1 January 00:00 in the workspace's time zone"),
  rollingMonths: z.number().int().positive().default(12),
  graceDays: z.number().int().nonnegative().default(30).describe('a member below threshold at evaluation keeps the tier this long'),
});

export const LoyaltySettings = z.object({
  pointValue: z.number().nonnegative().default(0.01).describe('yuan per point, for the liability report'),
  expiry: ExpiryPolicy.default(ExpiryPolicy.parse({})),
  orderEarning: OrderEarning.default(OrderEarning.parse({})),
  eventRules: z.array(EventRule).default([]),
  checkin: CheckinSettings.default(CheckinSettings.parse({})),
  tiers: TierProgram.default(TierProgram.parse({})),
});
export type LoyaltySettings = z.output<typeof LoyaltySettings>;

/**
 * A PATCH body from an object schema: every field optional and without its default (absent = unchanged), minus
 * the ones named. The service validates the merged result against the full schema.
 */
export function patchOf(schema: z.ZodObject, omit: string[] = []) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (omit.includes(key)) continue;
    shape[key] = (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : field).optional();
  }
  return z.object(shape);
}

/** PUT /loyalty/settings: the sections given replace the stored ones, each validated in full. */
export const LoyaltySettingsPatch = patchOf(LoyaltySettings);

export const SourceType = z.enum(['order', 'event', 'journey', 'operator', 'checkin', 'mall', 'system']);
export type SourceType = z.output<typeof SourceType>;

export const PointsRequest = z.object({
  profileId: z.number().int().positive(),
  points,
  reason: z.string().min(1).max(200),
  sourceType: SourceType.default('operator'),
  sourceId: z.string().max(200).optional(),
  idempotencyKey: z.string().min(1).max(200).optional().describe('a replayed request with the same key applies once'),
  expiresAt: requestDate.optional().describe("without an offset: the workspace's wall clock; a date alone (2026-12-31): the points last through that day"),
});
export const AdjustRequest = PointsRequest.extend({ points: z.number().int().min(-100_000_000).max(100_000_000).refine((n) => n !== 0, 'must not be 0') });

export const PointsResult = z.object({
  entryId: z.number().nullable(),
  replayed: z.boolean(),
  points: z.number().describe('change of the balance'),
  debtRecorded: z.number(),
  balance: z.number(),
  debt: z.number(),
  pending: z.number(),
});

export const PointsEntry = z.object({
  id: z.number(),
  kind: z.enum(['earn', 'redeem', 'expire', 'adjust', 'reverse']),
  points: z.number(),
  debtDelta: z.number(),
  reason: z.string(),
  sourceType: z.string(),
  sourceId: z.string().nullable(),
  createdAt: z.date(),
});

export const OrderItemForPoints = z.object({
  sku: z.string(),
  category: z.string().nullish(),
  price: money,
  quantity: z.number().int().nonnegative(),
  refundedQuantity: z.number().int().nonnegative().default(0),
});
export const OrderForPoints = z.object({
  orderId: z.string().min(1),
  profileId: z.number().int().positive(),
  status: z.enum(['pending', 'paid', 'partially_refunded', 'refunded', 'cancelled']),
  paidAmount: money,
  shippingAmount: money.default(0),
  refundedAmount: money.default(0),
  paidAt: requestDate.nullish().describe("without an offset: the workspace's wall clock"),
  items: z.array(OrderItemForPoints).default([]),
});
export type OrderForPoints = z.input<typeof OrderForPoints>;

// --- coupons
export const CouponScope = z.object({
  skus: z.array(z.string()).optional().describe('only these SKUs count (empty or absent: all)'),
  categories: z.array(z.string()).optional(),
  stores: z.array(z.string()).optional().describe('only orders of these stores'),
  channels: z.array(z.string()).optional(),
});
export const CouponTemplateFields = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['fixed', 'percentage', 'threshold', 'shipping', 'gift']),
  amount: money.default(0).describe('fixed: yuan off; threshold: Y of 满X减Y; shipping: cap on shipping covered (0 = all)'),
  percentOff: z.number().min(0).max(100).default(0).describe('percentage: e.g. 15 = 15% off (85折)'),
  maxDiscount: money.nullish().describe('percentage: cap on the discount'),
  threshold: money.default(0).describe('minimum eligible subtotal (X of 满X减Y)'),
  giftSku: z.string().nullish(),
  scope: CouponScope.default({}),
  validFrom: requestDate.nullish().describe("without an offset: the workspace's wall clock (a date alone: from 00:00 of that day)"),
  validUntil: requestDate.nullish().describe("without an offset: the workspace's wall clock; a date alone (2026-12-31) is valid through that day (until 23:59:59.999 in the workspace's time zone)"),
  validDays: z.number().int().positive().max(MAX_INT4).nullish().describe("valid N days, the day of receipt the first: until 23:59:59.999 of the Nth day in the workspace's time zone (with absolute dates too, the earlier end applies); received before validFrom, the N days count from validFrom's day"),
  totalStock: z.number().int().nonnegative().max(MAX_INT4).nullish(),
  perMemberLimit: z.number().int().positive().max(MAX_INT4).nullish(),
  stacking: z.enum(['exclusive', 'combinable']).default('exclusive'),
  combinableWith: z.array(z.string()).default([]).describe('combinable: only with these templates (empty: any combinable)'),
  tiers: z.array(z.string()).default([]).describe('only members of these tiers (empty: anyone)'),
  codeMode: z.enum(['unique', 'shared']).default('unique'),
  sharedCode: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/).nullish(),
  returnOnRefund: z.boolean().default(false),
  status: z.enum(['active', 'paused', 'archived']).default('active'),
});
export const CouponTemplateInput = CouponTemplateFields.superRefine((t, ctx) => {
  if (t.kind === 'fixed' && t.amount <= 0) ctx.addIssue({ code: 'custom', path: ['amount'], message: 'fixed coupons need an amount > 0' });
  if (t.kind === 'threshold' && (t.amount <= 0 || t.threshold <= 0)) ctx.addIssue({ code: 'custom', path: ['threshold'], message: '满X减Y needs threshold X > 0 and amount Y > 0' });
  if (t.kind === 'percentage' && t.percentOff <= 0) ctx.addIssue({ code: 'custom', path: ['percentOff'], message: 'percentage coupons need percentOff > 0' });
  if (t.kind === 'gift' && !t.giftSku) ctx.addIssue({ code: 'custom', path: ['giftSku'], message: 'gift coupons need a giftSku' });
  if (t.codeMode === 'shared' && !t.sharedCode) ctx.addIssue({ code: 'custom', path: ['sharedCode'], message: 'shared code mode needs a sharedCode' });
  if (t.validFrom && t.validUntil && t.validFrom >= t.validUntil) ctx.addIssue({ code: 'custom', path: ['validUntil'], message: 'must be after validFrom' });
});
export type CouponTemplateInput = z.input<typeof CouponTemplateInput>;
/** PATCH of a template; once coupons are issued, the terms their holders hold are frozen (coupon-templates.ts). */
export const CouponTemplatePatch = patchOf(CouponTemplateFields, ['id']);

export const OrderLine = z.object({
  sku: z.string(),
  category: z.string().nullish(),
  price: money,
  quantity: z.number().int().positive(),
});
export const CouponOrder = z.object({
  profileId: z.number().int().positive(),
  orderId: z.string().min(1),
  storeId: z.string().nullish(),
  channel: z.string().nullish(),
  shippingAmount: money.default(0),
  items: z.array(OrderLine).min(1),
  codes: z.array(z.string().min(1)).min(1).max(10),
});
export type CouponOrder = z.input<typeof CouponOrder>;

// --- members and tiers
export const TierBenefits = z.object({
  pointsMultiplier: z.number().positive().max(100).optional(),
  memberPrice: z.boolean().optional(),
  birthdayCouponTemplateId: z.string().optional(),
  freeShippingCouponTemplateId: z.string().optional().describe('issued once when a member reaches the tier'),
});
export const TierInput = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().trim().min(1).max(100),
  rank: z.number().int().nonnegative().max(MAX_INT4),
  threshold: money.describe('points earned or yuan spent in the period (per the tier program)'),
  benefits: TierBenefits.default({}),
});
export const BindRequest = z
  .object({
    userId: z.string().min(1).max(200).optional(),
    anonymousId: z.string().min(1).max(200).optional(),
    profileId: z.number().int().positive().optional(),
    memberNo: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional().describe('an imported card number; omitted: one is issued'),
    joinChannel: z.string().max(100).optional(),
    storeId: z.string().max(100).optional(),
  })
  .refine((b) => b.userId || b.anonymousId || b.profileId, { message: 'give userId, anonymousId or profileId', path: ['userId'] });
export type BindRequest = z.input<typeof BindRequest>;
