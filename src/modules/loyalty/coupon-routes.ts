import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { createCouponTemplate, getCouponTemplate, listCouponTemplates, updateCouponTemplate } from './coupon-templates.js';
import { issueCoupon, listCoupons, voidCoupon } from './coupons.js';
import { redeemCoupons } from './coupon-redeem.js';
import { createCouponCampaign, getCouponCampaign, listCouponCampaigns, runCouponCampaign } from './coupon-campaigns.js';
import { createMallItem, exchangeMallItem, listMallItems, MallItemInput, MallItemPatch, updateMallItem } from './mall.js';
import { CouponOrder, CouponTemplateFields, CouponTemplateInput, CouponTemplatePatch } from './schema.js';

export function registerCouponRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Loyalty: coupons'];
  const auth = 'admin' as const;
  const Id = z.object({ id: z.string() });

  // The route checks the fields; the service checks them together (validFrom before validUntil, what a kind needs)
  // on the text as sent, whose dates without an offset it reads in the workspace's zone: compared as JavaScript
  // reads them, a one-day coupon (from and until 2026-12-31) would be refused here.
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/coupon-templates', summary: 'Create a coupon template', tags, auth, status: 201, body: CouponTemplateFields },
    ({ workspaceId, request }) => createCouponTemplate(db, workspaceId, request.body as CouponTemplateInput));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/coupon-templates', summary: 'List coupon templates', tags, auth },
    async ({ workspaceId }) => ({ data: await listCouponTemplates(db, workspaceId) }));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/coupon-templates/:id', summary: 'A coupon template with its issued count', tags, auth, params: Id },
    ({ workspaceId, params }) => getCouponTemplate(db, workspaceId, params.id));
  defineRoute(app, { method: 'PATCH', url: '/api/v1/loyalty/coupon-templates/:id', tags, auth, params: Id, body: CouponTemplatePatch,
    summary: 'Edit a template (fields given change). Once coupons are issued its terms (kind, amounts, threshold, gift, scope, stacking, tiers, code) are fixed (409); name, status, stock (not below issued), per-member limit, validity (for later issues) and returnOnRefund stay editable' },
    ({ workspaceId, params, request }) => updateCouponTemplate(db, workspaceId, params.id, request.body as Record<string, unknown>));

  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/coupons', summary: 'Issue a coupon to a profile (stock and per-member limit enforced)', tags, auth, status: 201,
    body: z.object({ templateId: z.string(), profileId: z.number().int().positive(), source: z.enum(['api', 'journey']).default('api'), sourceId: z.string().optional(), idempotencyKey: z.string().min(1).optional() }) },
    ({ workspaceId, body }) => issueCoupon(db, workspaceId, body.templateId, body.profileId, body));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/coupons', summary: 'List coupons by profile, template or state', tags, auth,
    query: z.object({ profileId: z.coerce.number().int().optional(), templateId: z.string().optional(), status: z.enum(['issued', 'redeemed', 'expired', 'voided']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
    async ({ workspaceId, query }) => ({ data: await listCoupons(db, workspaceId, query) }));
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/coupons/:id/void', summary: 'Void an issued coupon', tags, auth, params: z.object({ id: z.coerce.number().int() }) },
    ({ workspaceId, params }) => voidCoupon(db, workspaceId, params.id));
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/coupons/preview', summary: 'Validate coupons against an order payload and compute the discount (nothing is marked)', tags, auth, body: CouponOrder },
    ({ workspaceId, body }) => redeemCoupons(db, workspaceId, body, { commit: false }));
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/coupons/redeem', summary: 'Redeem coupons for an order: validated, discount returned, marked redeemed with the order id', tags, auth, body: CouponOrder },
    ({ workspaceId, body }) => redeemCoupons(db, workspaceId, body, { commit: true }));

  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/coupon-campaigns', summary: 'Issue a coupon to a segment or a list of profiles, in the background; poll for progress', tags, auth, status: 202,
    body: z.object({ templateId: z.string(), segmentId: z.string().optional(), profileIds: z.array(z.number().int().positive()).max(1_000_000).optional() }) },
    async ({ workspaceId, body, actor }) => {
      const campaign = await createCouponCampaign(db, workspaceId, { ...body, createdBy: actor });
      // Runs in this process; progress is stored per chunk, so a restart can resume it (POST …/run).
      void runCouponCampaign(db, workspaceId, campaign.id).catch(() => undefined);
      return campaign;
    });
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/coupon-campaigns/:id/run', summary: 'Resume a campaign and wait for it to finish', tags, auth, params: Id },
    ({ workspaceId, params }) => runCouponCampaign(db, workspaceId, params.id));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/coupon-campaigns', summary: 'Campaigns, newest first; page with before = nextBefore', tags, auth,
    query: z.object({ status: z.enum(['pending', 'running', 'done', 'failed']).optional(), templateId: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(50), before: z.string().optional() }) },
    ({ workspaceId, query }) => listCouponCampaigns(db, workspaceId, query));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/coupon-campaigns/:id', summary: 'Campaign progress', tags, auth, params: Id },
    ({ workspaceId, params }) => getCouponCampaign(db, workspaceId, params.id));

  const mallTags = ['Loyalty: points mall'];
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/mall/items', summary: 'Create a points-mall item (coupon or goods)', tags: mallTags, auth, status: 201, body: MallItemInput },
    ({ workspaceId, body }) => createMallItem(db, workspaceId, body));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/mall/items', summary: 'List points-mall items', tags: mallTags, auth },
    async ({ workspaceId }) => ({ data: await listMallItems(db, workspaceId) }));
  defineRoute(app, { method: 'PATCH', url: '/api/v1/loyalty/mall/items/:id', tags: mallTags, auth, params: Id, body: MallItemPatch,
    summary: 'Edit an item (fields given change). Once exchanged, kind, templateId and sku are fixed (409); name, price, stock (not below exchanged), limit, tiers and status stay editable' },
    ({ workspaceId, params, body }) => updateMallItem(db, workspaceId, params.id, body));
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/mall/exchange', summary: 'Exchange points for an item on behalf of a member (atomic)', tags: mallTags, auth,
    body: z.object({ profileId: z.number().int().positive(), itemId: z.string(), quantity: z.number().int().min(1).max(100).default(1), idempotencyKey: z.string().min(1) }) },
    ({ workspaceId, body }) => exchangeMallItem(db, workspaceId, body));
}
