import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { requestDate } from '../../platform/http/validation.js';
import { adjustPoints, earnPoints, expireDuePoints, getPointsAccount, listPointsEntries, redeemPoints, reversePoints } from './points.js';
import { releaseDuePending } from './pending.js';
import { settleOrderPoints, settlePointsForOrders } from './order-points.js';
import { returnCouponsForOrder } from './coupon-redeem.js';
import { expireDueCoupons } from './coupons.js';
import { awardEventPoints } from './event-points.js';
import { evaluateTiers } from './tiers.js';
import { announceExpiringPoints } from './expiry-notice.js';
import { couponFunnel, pointsFlow, pointsLiability, tierReport } from './reports.js';
import { getLoyaltySettings, updateLoyaltySettings } from './settings.js';
import { AdjustRequest, LoyaltySettings, LoyaltySettingsPatch, OrderForPoints, PointsEntry, PointsRequest, PointsResult } from './schema.js';
import { registerCouponRoutes } from './coupon-routes.js';
import { registerMemberRoutes } from './member-routes.js';
import { startLoyaltyWorker } from './worker.js';
import { requestDateIn, workspaceZone } from './local-dates.js';
import { addBackgroundStarter } from '../../apps/server/background.js';

let workerRegistered = false;

const ProfileParams = z.object({ profileId: z.coerce.number().int().positive() });
const localDate = (what: string) => requestDate.describe(`${what}; without an offset, the workspace's wall clock (a date alone: 00:00 of that day)`);
const Period = z.object({ from: localDate('start of the period'), to: localDate('end of the period (not included)') });
/** The text as sent, for fields read again in the workspace's zone (requestDateIn). */
const sent = (value: unknown, field: string): unknown => (value && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined);

/** Admin API of the loyalty module (Bearer admin token) and the member-facing API (member token). */
export function registerLoyaltyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Loyalty: points'];
  const auth = 'admin' as const;

  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/settings', summary: 'Loyalty settings (earning, expiry, check-in, tier program)', tags, auth, response: LoyaltySettings },
    ({ workspaceId }) => getLoyaltySettings(db, workspaceId));
  defineRoute(app, { method: 'PUT', url: '/api/v1/loyalty/settings', summary: 'Change loyalty settings (given sections replace the stored ones)', tags, auth,
    body: LoyaltySettingsPatch, response: LoyaltySettings },
    ({ workspaceId, body }) => updateLoyaltySettings(db, workspaceId, body));

  const op = (summary: string, url: string, body: typeof PointsRequest | typeof AdjustRequest, fn: typeof earnPoints) =>
    defineRoute(app, { method: 'POST', url, summary, tags, auth, body, response: PointsResult },
      async ({ workspaceId, body, actor, request }) => {
        // expiresAt "2026-12-31": the points last through that day in the workspace's zone.
        const expiresAt = requestDateIn(sent(request.body, 'expiresAt'), await workspaceZone(db, workspaceId), 'body.expiresAt', true);
        return fn(db, workspaceId, { ...body, expiresAt, createdBy: actor });
      });
  op('Credit points (earn); idempotent with idempotencyKey', '/api/v1/loyalty/points/earn', PointsRequest, earnPoints);
  op('Spend points (redeem); refused with insufficient_points beyond the balance', '/api/v1/loyalty/points/redeem', PointsRequest, redeemPoints);
  op('Operator adjustment (positive or negative)', '/api/v1/loyalty/points/adjust', AdjustRequest, adjustPoints);
  op('Take back points of a source; what was spent becomes debt', '/api/v1/loyalty/points/reverse', PointsRequest, reversePoints);

  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/points/:profileId', summary: 'Points account of a profile', tags, auth, params: ProfileParams },
    ({ workspaceId, params }) => getPointsAccount(db, workspaceId, params.profileId));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/points/:profileId/entries', summary: 'Ledger entries of a profile, newest first', tags, auth, params: ProfileParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), beforeId: z.coerce.number().int().optional() }), response: z.object({ data: z.array(PointsEntry) }) },
    async ({ workspaceId, params, query }) => ({ data: await listPointsEntries(db, workspaceId, params.profileId, query) }));

  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/orders/settle', summary: 'Order paid or refunded: settle its points (idempotent, any order of calls); a full refund returns coupons whose template says so', tags, auth, body: OrderForPoints },
    async ({ workspaceId, body, request }) => {
      const paidAt = body.paidAt === null ? null : requestDateIn(sent(request.body, 'paidAt'), await workspaceZone(db, workspaceId), 'body.paidAt');
      const settlement = await settleOrderPoints(db, workspaceId, { ...body, paidAt });
      const returnedCoupons = body.status === 'refunded' || body.status === 'cancelled' ? await returnCouponsForOrder(db, workspaceId, body.orderId) : [];
      return { ...settlement, returnedCoupons: returnedCoupons.map((c) => c.id) };
    });
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/orders/settle-stored', summary: 'Settle points of stored orders (from the orders tables)', tags, auth,
    body: z.object({ orderIds: z.array(z.string()).min(1).max(1000) }) },
    async ({ workspaceId, body }) => ({ data: await settlePointsForOrders(db, workspaceId, body.orderIds) }));
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/events', summary: 'Award fixed points for an event per the event rules (caps apply)', tags, auth,
    body: z.object({ profileId: z.number().int().positive(), event: z.string().min(1), idempotencyKey: z.string().min(1), at: localDate('when the event happened').optional() }) },
    async ({ workspaceId, body, request }) => awardEventPoints(db, workspaceId, { ...body, at: requestDateIn(sent(request.body, 'at'), await workspaceZone(db, workspaceId), 'body.at') }));

  const Jobs = z.array(z.enum(['release_pending', 'expire_points', 'expire_coupons', 'evaluate_tiers', 'announce_expiring_points'])).min(1);
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/jobs', summary: 'Run loyalty jobs now (they also run on schedule in the server)', tags, auth, body: z.object({ jobs: Jobs }) },
    async ({ workspaceId, body }) => {
      const out: Record<string, unknown> = {};
      for (const job of body.jobs) out[job] = await runLoyaltyJob(ctx, workspaceId, job);
      return out;
    });

  const reportTags = ['Loyalty: reports'];
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/reports/points-liability', summary: 'Outstanding points and their value', tags: reportTags, auth },
    ({ workspaceId }) => pointsLiability(db, workspaceId));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/reports/points-flow', summary: 'Points earned, redeemed, expired per period', tags: reportTags, auth,
    query: Period.extend({ granularity: z.enum(['day', 'month']).default('day') }) },
    async ({ workspaceId, query, request }) => ({ data: await pointsFlow(db, workspaceId, { ...query, ...await periodIn(request.query, workspaceId) }) }));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/reports/coupon-funnel', summary: 'Per template: issued, redeemed, expired, redemption rate, GMV', tags: reportTags, auth,
    query: z.object({ templateId: z.string().optional() }) },
    async ({ workspaceId, query }) => ({ data: await couponFunnel(db, workspaceId, query.templateId) }));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/reports/tiers', summary: 'Tier distribution and tier movement in a period', tags: reportTags, auth, query: Period },
    async ({ workspaceId, request }) => tierReport(db, workspaceId, await periodIn(request.query, workspaceId)));

  async function periodIn(query: unknown, workspaceId: string) {
    const zone = await workspaceZone(db, workspaceId);
    return { from: requestDateIn(sent(query, 'from'), zone, 'query.from')!, to: requestDateIn(sent(query, 'to'), zone, 'query.to')! };
  }

  registerCouponRoutes(app, ctx);
  registerMemberRoutes(app, ctx);
  if (!workerRegistered) {
    workerRegistered = true;
    addBackgroundStarter(async (background, opts) => startLoyaltyWorker(background.database.db, { log: opts.log }));
  }
}

export async function runLoyaltyJob(ctx: AppContext, workspaceId: string, job: 'release_pending' | 'expire_points' | 'expire_coupons' | 'evaluate_tiers' | 'announce_expiring_points') {
  const { db } = ctx.database;
  if (job === 'release_pending') return releaseDuePending(db, workspaceId);
  if (job === 'expire_points') return expireDuePoints(db, workspaceId);
  if (job === 'expire_coupons') return { expired: await expireDueCoupons(db, workspaceId) };
  if (job === 'announce_expiring_points') return { announced: await announceExpiringPoints(db, workspaceId) };
  return evaluateTiers(db, workspaceId);
}
