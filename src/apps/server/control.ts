import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors.js';
import type { AppContext } from '../../platform/http/context.js';
import { createWorkspace } from '../../modules/workspaces/index.js';

/**
 * The control API lets CLI commands work through the server that owns an embedded data folder.
 * It is authenticated by a per-process secret written to the folder's lock file; it is not part of the public API.
 */
export function registerControlRoutes(app: FastifyInstance, ctx: AppContext, controlToken: string): void {
  const check = (request: FastifyRequest) => {
    const given = Buffer.from(String(request.headers['x-siyu-control'] ?? ''));
    const want = Buffer.from(controlToken);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new AppError('unauthorized', 'invalid control token');
  };
  app.post('/internal/v1/workspaces', async (request) => {
    check(request);
    const body = z.object({ name: z.string(), timezone: z.string().optional() }).parse(request.body);
    return createWorkspace(ctx.database.db, body);
  });
  for (const [path, handler] of controlHandlers) {
    app.post(path, async (request) => {
      check(request);
      return handler(ctx, request.body);
    });
  }
}

type ControlHandler = (ctx: AppContext, body: unknown) => Promise<unknown>;
const controlHandlers = new Map<string, ControlHandler>();

/** CLI commands that must also work through a running server register their server-side half here. */
export function addControlHandler(path: string, handler: ControlHandler): void {
  controlHandlers.set(path, handler);
}
