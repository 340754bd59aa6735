import { z } from 'zod';
import { DATE_EXPECTED, inStorableDateRange, MAX_INT4, STORABLE_DATE_RANGE } from '../../platform/http/validation.js';

// numeric(14, 2) columns: twelve digits before the point.
const MAX_MONEY = 999_999_999_999.99;
const MAX_AHEAD_MS = 86_400_000;
const Money = z.number().finite().nonnegative().max(MAX_MONEY).multipleOf(0.01, 'at most two decimals');
const Time = z
  .union([z.string(), z.date()])
  .pipe(z.coerce.date({ error: DATE_EXPECTED }))
  .refine((d) => !Number.isNaN(d.getTime()), 'not a valid date')
  .refine(inStorableDateRange, STORABLE_DATE_RANGE)
  // A shop's clock may run a little ahead; a day or more is a wrong year or zone. Loyalty dates an order's points
  // (pending until, expiring at) from its payment, so a paidAt in 2099 would hold points that never expire.
  .refine((d) => d.getTime() <= Date.now() + MAX_AHEAD_MS, 'more than a day in the future')
  .describe('ISO 8601, e.g. 2026-05-01T08:00:00+08:00; a time without an offset is read in the workspace time zone');

export const OrderItem = z.object({
  sku: z.string().trim().min(1).max(100),
  name: z.string().max(200).optional(),
  category: z.string().max(100).optional(),
  quantity: z.number().int().positive().max(MAX_INT4),
  price: Money.describe('unit price paid'),
});

/** Who bought: any identifier the data center knows (as in Segment messages). At least one is required. */
export const Customer = z
  .object({
    userId: z.union([z.string(), z.number()]).optional(),
    anonymousId: z.string().optional(),
    email: z.string().optional(),
    phone: z.string().optional(),
    externalIds: z.array(z.object({ type: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/), id: z.union([z.string(), z.number()]) })).optional(),
  })
  .describe('e.g. { "externalIds": [{ "type": "member_no", "id": "M0001" }] }');

export const OrderStatus = z.enum(['pending', 'paid', 'partially_refunded', 'refunded', 'cancelled']);

export const OrderInput = z
  .object({
    orderId: z.string().trim().min(1).max(100),
    customer: Customer,
    storeId: z.string().max(100).nullish(),
    guideId: z.string().max(100).nullish(),
    channel: z.string().max(50).nullish().describe('mini_program, store, tmall, jd, douyin, wecom…'),
    status: OrderStatus.default('paid'),
    currency: z.string().length(3).default('CNY'),
    totalAmount: Money,
    discountAmount: Money.default(0),
    shippingAmount: Money.default(0),
    paidAmount: Money.optional().describe('defaults to total − discount + shipping'),
    refundedAmount: Money.default(0),
    items: z.array(OrderItem).max(500).default([]),
    orderedAt: Time,
    paidAt: Time.nullish(),
    refundedAt: Time.nullish(),
    cancelledAt: Time.nullish(),
    properties: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((o, ctx) => {
    // zod still runs this when a field failed; only cross-check amounts that are themselves valid.
    if (![o.totalAmount, o.discountAmount, o.shippingAmount, o.refundedAmount].every((n) => typeof n === 'number' && n >= 0)) return;
    const paid = o.paidAmount ?? round2(o.totalAmount - o.discountAmount + o.shippingAmount);
    if (paid < 0) ctx.addIssue({ code: 'custom', path: ['paidAmount'], message: 'discount exceeds the total' });
    if (paid > MAX_MONEY) ctx.addIssue({ code: 'custom', path: ['paidAmount'], message: `total - discount + shipping exceeds ${MAX_MONEY}` });
    if (o.refundedAmount > paid + 0.001) ctx.addIssue({ code: 'custom', path: ['refundedAmount'], message: 'refund exceeds the amount paid' });
  });
export type OrderInput = z.input<typeof OrderInput>;
export type ParsedOrder = z.output<typeof OrderInput>;

export const OrdersBody = z.union([OrderInput, z.object({ orders: z.array(OrderInput).min(1).max(1000) })]);

export const RefundInput = z.object({
  refundId: z.string().trim().min(1).max(100).describe('your id for this refund: retrying with it applies the refund once'),
  amount: Money.refine((a) => a > 0, 'must be more than 0'),
  items: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive().max(MAX_INT4) })).optional(),
  refundedAt: Time.optional(),
});

export const OrderView = z.object({
  orderId: z.string(),
  profileId: z.number().nullable(),
  storeId: z.string().nullable(),
  guideId: z.string().nullable(),
  channel: z.string().nullable(),
  status: OrderStatus,
  currency: z.string(),
  totalAmount: z.number(),
  discountAmount: z.number(),
  shippingAmount: z.number(),
  paidAmount: z.number(),
  refundedAmount: z.number(),
  orderedAt: z.date(),
  paidAt: z.date().nullable(),
  refundedAt: z.date().nullable(),
  cancelledAt: z.date().nullable(),
  items: z.array(OrderItem.extend({ refundedQuantity: z.number() })),
  properties: z.record(z.string(), z.unknown()).nullable(),
  refunds: z.array(z.object({ refundId: z.string(), amount: z.number(), items: z.array(z.object({ sku: z.string(), quantity: z.number() })).nullable(), refundedAt: z.date() }))
    .describe('refunds recorded through POST /api/v1/orders/{orderId}/refunds, oldest first'),
});

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
