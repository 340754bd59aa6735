import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { trustProxyFromEnv, type TrustProxy } from '../../platform/config.js';
import { databaseReachable } from '../../platform/db/migrate.js';
import { tokenAuthenticator } from '../../platform/http/auth.js';
import type { AppContext } from '../../platform/http/context.js';
import { frameworkErrors, installErrorHandler } from '../../platform/http/errors.js';
import { buildOpenApiDocument } from '../../platform/http/openapi.js';
import { setAuthenticator } from '../../platform/http/route.js';
import { registerModuleRoutes } from './modules.js';
import { wireModules } from '../../modules/wiring.js';

export interface ServerOptions {
  logger?: boolean;
  /** Whose X-Forwarded-For to believe; SIYU_TRUST_PROXY by default (see trustProxyFromEnv). */
  trustProxy?: TrustProxy;
}

/** The HTTP app: thin — it wires the modules' routes, auth and error mapping, nothing else. */
export async function buildServer(ctx: AppContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  wireModules();
  const app = Fastify({
    logger: options.logger ? { level: process.env.LOG_LEVEL ?? 'info' } : false,
    bodyLimit: 10 * 1024 * 1024,
    frameworkErrors,
    trustProxy: options.trustProxy ?? trustProxyFromEnv(),
    // One access-log line per request, written when it has been answered, instead of Fastify's two (received,
    // completed), each with the whole request and reply objects.
    logController: new LogController({ disableRequestLogging: true }),
  });
  if (options.logger) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'request');
    });
  }
  installErrorHandler(app);
  setAuthenticator(app, tokenAuthenticator(ctx.database.db));

  app.get('/healthz', async (_request, reply) => {
    const ok = await databaseReachable(ctx.database.db);
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'database unreachable', database: ctx.database.kind };
  });

  await registerModuleRoutes(app, ctx);

  app.get('/openapi.json', async () =>
    buildOpenApiDocument({
      title: 'Siyu API',
      version: '0.1.0',
      description: 'Siyu (私域) private-domain operations platform: Segment-compatible ingest, OneID profiles, orders.',
    }),
  );
  return app;
}
