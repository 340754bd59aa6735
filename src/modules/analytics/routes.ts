import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { eventSchema, overviewStats } from './overview.js';
import { DEFAULT_OVERVIEW_DAYS } from './rollup.js';

const Series = z.array(z.object({ day: z.string(), value: z.number() }));

export function registerAnalyticsRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Analytics'];
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/stats/overview', summary: 'Audience, members, orders and GMV per day for the overview dashboard', tags, auth: 'admin',
      query: z.object({ days: z.coerce.number().int().min(1).max(366).default(DEFAULT_OVERVIEW_DAYS) }),
      response: z.object({ days: z.number(), timezone: z.string(), profiles: z.number(), members: z.number(), activeProfiles30d: z.number(),
        reachable: z.object({ wechat: z.number(), wecom: z.number() }), newMembers: Series, orders: Series, gmv: Series, events: Series }) },
    ({ workspaceId, query }) => overviewStats(db, workspaceId, query.days),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/events/schema', summary: 'Events seen: name, volume, first/last seen and property names', tags, auth: 'admin',
      response: z.object({ data: z.array(z.object({ type: z.string(), event: z.string().nullable(), count: z.number(), firstSeenAt: z.date(), lastSeenAt: z.date(), properties: z.array(z.string()) })) }) },
    async ({ workspaceId }) => ({ data: await eventSchema(db, workspaceId) }),
  );
}
