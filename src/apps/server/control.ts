import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { AppContext } from '../../platform/http/context.js';
import { createWorkspace } from '../../modules/workspaces/index.js';
import { applyImportChunk, IMPORT_KINDS } from '../../modules/importer/index.js';
import { loadDemoBrand } from '../../modules/demo/index.js';
import { createUser, UserRole } from '../../modules/users/index.js';
import { resolveWorkspaceId } from '../cli/workspace-choice.js';

/**
 * The control API lets CLI commands work through the server that owns an embedded data folder.
 * It is authenticated by a per-process secret written to the folder's lock file; it is not part of the public API.
 */
export function registerControlRoutes(app: FastifyInstance, ctx: AppContext, controlToken: string): void {
  const { db } = ctx.database;
  const check = (request: FastifyRequest) => {
    const given = Buffer.from(String(request.headers['x-siyu-control'] ?? ''));
    const want = Buffer.from(controlToken);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new AppError('unauthorized', 'invalid control token');
  };
  app.post('/internal/v1/workspaces', async (request) => {
    check(request);
    const body = z.object({ name: z.string(), timezone: z.string().optional() }).parse(request.body);
    return createWorkspace(db, body);
  });
  app.post('/internal/v1/users', async (request) => {
    check(request);
    const input = z.object({ workspaceId: z.string(), email: z.string(), password: z.string(), role: UserRole, name: z.string().optional() }).parse(request.body);
    return createUser(db, input.workspaceId, input);
  });
  app.post('/internal/v1/demo', async (request) => {
    check(request);
    const body = z.object({ members: z.number().int().positive().max(1_000_000).optional() }).parse(request.body);
    return loadDemoBrand(db, body);
  });
  app.post('/internal/v1/workspace-id', async (request) => {
    check(request);
    const body = z.object({ workspace: z.string().optional() }).parse(request.body);
    return { id: await resolveWorkspaceId(db, body.workspace) };
  });
  app.post('/internal/v1/import', { bodyLimit: 64 * 1024 * 1024 }, async (request) => {
    check(request);
    const body = z
      .object({
        workspaceId: z.string(),
        kind: z.enum(IMPORT_KINDS),
        records: z.array(z.object({ line: z.number(), record: z.record(z.string(), z.unknown()) })),
        dryRun: z.boolean().optional(),
      })
      .parse(request.body);
    return applyImportChunk(ctx.database, body.workspaceId, body.kind, body.records, { dryRun: body.dryRun });
  });
}
