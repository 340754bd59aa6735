import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { createKey, getWorkspace, listKeys, revokeKey } from './service.js';

const KeyKind = z.enum(['write', 'admin']);
const ApiKey = z.object({
  id: z.string(),
  kind: KeyKind,
  name: z.string(),
  hint: z.string().describe('first and last characters of the secret, for recognising it'),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});

export function registerWorkspaceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Workspace'];

  defineRoute(app, { method: 'GET', url: '/api/v1/workspace', summary: 'The workspace of the admin token', tags, auth: 'admin' }, ({ workspaceId }) =>
    getWorkspace(db, workspaceId),
  );

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/keys', summary: 'List write keys and admin tokens (secrets are never shown again)', tags, auth: 'admin',
      query: z.object({ kind: KeyKind.optional() }), response: z.object({ data: z.array(ApiKey) }) },
    async ({ workspaceId, query }) => ({ data: await listKeys(db, workspaceId, query.kind) }),
  );

  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/keys', summary: 'Create a write key or admin token; the secret is shown once', tags, auth: 'admin', status: 201,
      body: z.object({ kind: KeyKind, name: z.string().trim().min(1).max(100) }), response: ApiKey.extend({ secret: z.string() }) },
    ({ workspaceId, body }) => createKey(db, workspaceId, body.kind, body.name),
  );

  defineRoute(
    app,
    { method: 'DELETE', url: '/api/v1/keys/:id', summary: 'Revoke a key or token at once', tags, auth: 'admin',
      params: z.object({ id: z.string() }), response: ApiKey },
    ({ workspaceId, params }) => revokeKey(db, workspaceId, params.id),
  );
}
