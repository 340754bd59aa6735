import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { authenticateMember, bindMemberCard, getMember, getMemberByNumber, issueMemberToken } from './members.js';
import { listTiers, setTiers, tierHistory } from './tiers.js';
import { getPointsAccount, listPointsEntries } from './points.js';
import { claimSharedCode, listCoupons } from './coupons.js';
import { checkIn, checkinCalendar, makeUpCheckIn } from './checkin.js';
import { exchangeMallItem, listMallItems } from './mall.js';
import { BindRequest, TierInput } from './schema.js';

const ProfileParams = z.object({ profileId: z.coerce.number().int().positive() });

export function registerMemberRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Loyalty: members and tiers'];
  const auth = 'admin' as const;

  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/members/bind', summary: 'Bind (claim) a member card: links the member number through OneID; answers the member and a member token', tags, auth, body: BindRequest },
    async ({ workspaceId, body }) => {
      const member = await bindMemberCard(db, workspaceId, body);
      const token = await issueMemberToken(db, workspaceId, member.profileId);
      return { member, memberToken: token.token, memberTokenExpiresAt: token.expiresAt };
    });
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/members/:profileId', summary: 'A member with tier', tags, auth, params: ProfileParams },
    ({ workspaceId, params }) => getMember(db, workspaceId, params.profileId));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/members/by-number/:memberNo', summary: 'A member by member number', tags, auth, params: z.object({ memberNo: z.string() }) },
    ({ workspaceId, params }) => getMemberByNumber(db, workspaceId, params.memberNo));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/members/:profileId/tier-history', summary: 'Tier history of a member', tags, auth, params: ProfileParams },
    async ({ workspaceId, params }) => ({ data: await tierHistory(db, workspaceId, params.profileId) }));
  defineRoute(app, { method: 'POST', url: '/api/v1/loyalty/members/:profileId/token', summary: 'Issue a member token (for a mini-program or H5 session)', tags, auth, params: ProfileParams },
    ({ workspaceId, params }) => issueMemberToken(db, workspaceId, params.profileId));
  defineRoute(app, { method: 'GET', url: '/api/v1/loyalty/tiers', summary: 'The tier ladder', tags, auth },
    async ({ workspaceId }) => ({ data: await listTiers(db, workspaceId) }));
  defineRoute(app, { method: 'PUT', url: '/api/v1/loyalty/tiers', summary: 'Replace the tier ladder', tags, auth, body: z.object({ tiers: z.array(TierInput) }) },
    async ({ workspaceId, body }) => ({ data: await setTiers(db, workspaceId, body.tiers) }));

  registerMemberFacingRoutes(app, ctx);
}

/**
 * The member-facing API (mini-program, H5): `Authorization: Bearer mt_…`, a member token issued after binding.
 * The caller can only ever see and act on their own profile.
 */
function registerMemberFacingRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Member API (Bearer member token)'];
  const auth = 'none' as const;
  // Authenticate before anything else (a stranger gets 401, not a validation message about the body).
  const members = new WeakMap<FastifyRequest, Promise<{ workspaceId: string; profileId: number }>>();
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/v1/member/')) return;
    const pending = authenticateMember(db, /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim());
    members.set(request, pending);
    await pending;
  });
  const member = (request: FastifyRequest) => members.get(request) ?? Promise.reject(new Error('member authentication hook did not run'));

  defineRoute(app, { method: 'GET', url: '/api/v1/member/card', summary: 'My member card and tier', tags, auth }, async ({ request }) => {
    const m = await member(request);
    return getMember(db, m.workspaceId, m.profileId);
  });
  defineRoute(app, { method: 'GET', url: '/api/v1/member/points', summary: 'My points balance and latest entries', tags, auth }, async ({ request }) => {
    const m = await member(request);
    return { ...(await getPointsAccount(db, m.workspaceId, m.profileId)), entries: await listPointsEntries(db, m.workspaceId, m.profileId, { limit: 20 }) };
  });
  defineRoute(app, { method: 'GET', url: '/api/v1/member/coupons', summary: 'My coupons', tags, auth,
    query: z.object({ status: z.enum(['issued', 'redeemed', 'expired', 'voided']).optional() }) }, async ({ request, query }) => {
    const m = await member(request);
    return { data: await listCoupons(db, m.workspaceId, { profileId: m.profileId, status: query.status }) };
  });
  defineRoute(app, { method: 'POST', url: '/api/v1/member/coupons/claim', summary: 'Claim a coupon by its shared code', tags, auth, body: z.object({ code: z.string().min(1) }) }, async ({ request, body }) => {
    const m = await member(request);
    return claimSharedCode(db, m.workspaceId, body.code, m.profileId);
  });
  defineRoute(app, { method: 'POST', url: '/api/v1/member/checkin', summary: 'Check in today', tags, auth }, async ({ request }) => {
    const m = await member(request);
    return checkIn(db, m.workspaceId, m.profileId);
  });
  defineRoute(app, { method: 'POST', url: '/api/v1/member/checkin/make-up', summary: 'Make up a missed day (costs points)', tags, auth, body: z.object({ day: z.string() }) }, async ({ request, body }) => {
    const m = await member(request);
    return makeUpCheckIn(db, m.workspaceId, m.profileId, body.day);
  });
  defineRoute(app, { method: 'GET', url: '/api/v1/member/checkin/calendar', summary: 'My check-in calendar for a month', tags, auth, query: z.object({ month: z.string() }) }, async ({ request, query }) => {
    const m = await member(request);
    return checkinCalendar(db, m.workspaceId, m.profileId, query.month);
  });
  defineRoute(app, { method: 'GET', url: '/api/v1/member/mall/items', summary: 'Points-mall items on offer', tags, auth }, async ({ request }) => {
    const m = await member(request);
    return { data: await listMallItems(db, m.workspaceId, { activeOnly: true }) };
  });
  defineRoute(app, { method: 'POST', url: '/api/v1/member/mall/exchange', summary: 'Exchange my points for an item', tags, auth,
    body: z.object({ itemId: z.string(), quantity: z.number().int().min(1).max(100).default(1), idempotencyKey: z.string().min(1).max(200) }) }, async ({ request, body }) => {
    const m = await member(request);
    return exchangeMallItem(db, m.workspaceId, { ...body, profileId: m.profileId, idempotencyKey: `member:${m.profileId}:${body.idempotencyKey}` });
  });
}
