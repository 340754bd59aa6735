import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { getOrder, listOrders } from './read.js';
import { OrderView, OrdersBody, RefundInput } from './schema.js';
import { refundOrder, upsertOrders } from './service.js';

export function registerOrderRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Orders'];
  const Outcome = z.object({ orderId: z.string(), outcome: z.enum(['created', 'updated', 'unchanged']), profileId: z.number().nullable() });

  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/orders', summary: 'Create or update one order, or up to 1,000 as { orders: [...] } (idempotent by orderId)', tags,
      auth: 'admin', body: OrdersBody, documentBodyOnly: true, response: z.object({ data: z.array(Outcome) }) },
    async ({ workspaceId, request }) => {
      const body = request.body as { orders?: unknown };
      const raw = body && typeof body === 'object' && Array.isArray(body.orders) ? body.orders : [body];
      return { data: await upsertOrders(db, workspaceId, raw) };
    },
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/orders', summary: 'List orders, newest first', tags, auth: 'admin',
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().optional(), profileId: z.coerce.number().int().optional(),
        storeId: z.string().optional(), status: z.enum(['pending', 'paid', 'partially_refunded', 'refunded', 'cancelled']).optional() }),
      response: z.object({ data: z.array(OrderView), nextCursor: z.string().nullable() }) },
    ({ workspaceId, query }) => listOrders(db, workspaceId, query),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/orders/:orderId', summary: 'Read an order with its items', tags, auth: 'admin', params: z.object({ orderId: z.string() }), response: OrderView },
    ({ workspaceId, params }) => getOrder(db, workspaceId, params.orderId),
  );
  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/orders/:orderId/refunds', summary: 'Refund part or all of an order (idempotent by refundId)', tags, auth: 'admin',
      params: z.object({ orderId: z.string() }), body: RefundInput, documentBodyOnly: true },
    ({ workspaceId, params, request }) => refundOrder(db, workspaceId, params.orderId, request.body),
  );
}
