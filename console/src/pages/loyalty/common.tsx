import type { FormInstance } from 'antd';
import { useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi, type ApiError } from '../../api';
import { errorText } from '../../components/States';
import { useFeedback } from '../../feedback';

/** What the loyalty admin API answers (src/modules/loyalty), as the console reads it. */
export interface TierBenefits {
  pointsMultiplier?: number;
  memberPrice?: boolean;
  birthdayCouponTemplateId?: string;
  freeShippingCouponTemplateId?: string;
}
export interface Tier {
  id: string;
  name: string;
  rank: number;
  threshold: number;
  benefits: TierBenefits;
}
export interface EventRule {
  id: string;
  event: string;
  points: number;
  dailyTimes?: number;
  totalTimes?: number;
}
export interface LoyaltySettings {
  pointValue: number;
  expiry: { mode: 'none' | 'lot' | 'end_of_year'; days: number; years: number; notifyDaysBefore: number };
  orderEarning: { pointsPerYuan: number; excludeShipping: boolean; excludedSkus: string[]; excludedCategories: string[]; pendingDays: number; maxPointsPerOrder?: number };
  eventRules: EventRule[];
  checkin: { points: number; streakBonuses: { day: number; points: number }[]; cycleDays?: number; makeUpCost: number; makeUpWindowDays: number };
  tiers: { basis: 'points' | 'spend'; period: 'rolling' | 'calendar'; rollingMonths: number; graceDays: number };
}
export type CouponKind = 'fixed' | 'percentage' | 'threshold' | 'shipping' | 'gift';
export interface CouponTemplate {
  id: string;
  name: string;
  kind: CouponKind;
  amount: number;
  percentOff: number;
  maxDiscount: number | null;
  threshold: number;
  giftSku: string | null;
  scope: { skus?: string[]; categories?: string[]; stores?: string[]; channels?: string[] };
  validFrom: string | null;
  validUntil: string | null;
  validDays: number | null;
  totalStock: number | null;
  issuedCount: number;
  perMemberLimit: number | null;
  stacking: 'exclusive' | 'combinable';
  combinableWith: string[];
  tiers: string[];
  codeMode: 'unique' | 'shared';
  sharedCode: string | null;
  returnOnRefund: boolean;
  status: 'active' | 'paused' | 'archived';
  createdAt: string;
}
export type CouponStatus = 'issued' | 'redeemed' | 'expired' | 'voided';
export interface Coupon {
  id: number;
  code: string;
  templateId: string;
  profileId: number;
  status: CouponStatus;
  source: string;
  issuedAt: string;
  validFrom: string | null;
  validUntil: string | null;
  redeemedAt: string | null;
  orderId: string | null;
  discountAmount: number | null;
}
export interface Campaign {
  id: string;
  templateId: string;
  segmentId: string | null;
  status: 'pending' | 'running' | 'done' | 'failed';
  total: number | null;
  processed: number;
  issued: number;
  skipped: number;
  progress: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}
export interface MallItem {
  id: string;
  name: string;
  kind: 'coupon' | 'goods';
  templateId: string | null;
  sku: string | null;
  pointsPrice: number;
  stock: number | null;
  exchanged: number;
  perMemberLimit: number | null;
  tiers: string[];
  status: string;
}
export interface PointsAccount {
  profileId: number;
  balance: number;
  debt: number;
  pending: number;
  lifetimeEarned: number;
  expiringSoon: { points: number; firstExpiresAt: string | null };
}
export interface PointsEntry {
  id: number;
  kind: 'earn' | 'redeem' | 'expire' | 'adjust' | 'reverse';
  points: number;
  debtDelta: number;
  reason: string;
  sourceType: string;
  sourceId: string | null;
  createdAt: string;
}
export interface Member {
  profileId: number;
  memberNo: string;
  joinChannel: string | null;
  storeId: string | null;
  joinedAt: string;
  tierId: string | null;
  tierSince: string | null;
  status: string;
  tier: Tier | null;
}

export const COUPON_KINDS: CouponKind[] = ['fixed', 'percentage', 'threshold', 'shipping', 'gift'];
export const COUPON_STATUSES: CouponStatus[] = ['issued', 'redeemed', 'expired', 'voided'];
export const couponStatusColor: Record<CouponStatus, string> = { issued: 'blue', redeemed: 'green', expired: 'default', voided: 'red' };

/** The tier ladder and coupon templates, for names and choices on every loyalty page. */
export function useLoyaltyRefs() {
  const tiers = useApi<{ data: Tier[] }>('/api/v1/loyalty/tiers');
  const templates = useApi<{ data: CouponTemplate[] }>('/api/v1/loyalty/coupon-templates');
  const tierName = useMemo(() => {
    const names = new Map((tiers.data?.data ?? []).map((t) => [t.id, t.name]));
    return (id: string | null | undefined) => (id ? (names.get(id) ?? id) : '—');
  }, [tiers.data]);
  const templateName = useMemo(() => {
    const names = new Map((templates.data?.data ?? []).map((t) => [t.id, t.name]));
    return (id: string) => names.get(id) ?? id;
  }, [templates.data]);
  return { tiers, templates, tierName, templateName };
}

/** `body.tiers[0].threshold` → ['tiers', 0, 'threshold'] (antd's name path). */
export function namePathOf(path: string): (string | number)[] {
  return path
    .replace(/^(body|query|params)\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Runs a write: success message, or the error in words — and, given a form, the server's field errors on the
 * offending inputs. Answers whether it worked.
 */
export function useAction() {
  const { t } = useTranslation();
  const { message } = useFeedback();
  return useCallback(
    async <T,>(work: () => Promise<T>, done?: string, form?: FormInstance): Promise<T | undefined> => {
      try {
        const result = await work();
        if (done) message.success(t(done));
        return result;
      } catch (err) {
        const error = err as ApiError;
        message.error(loyaltyErrorText(t, error));
        if (form && error.details?.length) {
          form.setFields(error.details.filter((d) => d.path).map((d) => ({ name: namePathOf(d.path!), errors: [d.message] })));
        }
        return undefined;
      }
    },
    [t, message],
  );
}

const loyaltyCodes = new Set(['insufficient_points', 'out_of_stock', 'limit_reached', 'coupon_not_applicable']);

/** Loyalty's own refusals (not enough points, out of stock, limit reached…) in words, else the console's wording. */
export function loyaltyErrorText(t: (key: string, opts?: Record<string, unknown>) => string, error: ApiError): string {
  return loyaltyCodes.has(error.code) ? `${t(`loyalty.errors.${error.code}`)}: ${error.message}` : errorText(t, error);
}

/** Drops empty optional numbers (the API takes a missing field, not null). */
export function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutNulls) as T;
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [k, withoutNulls(v)])) as T;
}

/** An id for a write that must apply once even if the operator clicks twice or the network repeats it. */
export const idempotencyKey = (what: string) => `console:${what}:${Date.now()}:${Math.random().toString(36).slice(2, 10)}`;
