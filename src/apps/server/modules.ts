import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../platform/http/context.js';
import { registerWorkspaceRoutes } from '../../modules/workspaces/index.js';
import { intakeIsBehind, registerIngestRoutes } from '../../modules/ingest/index.js';
import { registerProfileRoutes } from '../../modules/profiles/index.js';
import { registerOrderRoutes } from '../../modules/orders/index.js';
import { registerImportRoutes } from '../../modules/importer/index.js';
import { registerAnalyticsRoutes, startOverviewRollupWarmer } from '../../modules/analytics/index.js';
import { registerUserRoutes } from '../../modules/users/index.js';
import { registerChannelRoutesAndCallbacks } from '../../modules/channels/index.js';
import { registerTemplateRoutes } from '../../modules/templates/index.js';
import { registerRulesTierRoutes, startRulesWorker } from '../../modules/segments/index.js';
import { registerLoyaltyRoutes } from '../../modules/loyalty/index.js';
import { registerJourneys } from '../../modules/journeys/index.js';
import { demoBrandIsLoading } from '../../modules/demo/index.js';
import { registerConsole } from './console.js';
import { addBackgroundStarter } from './background.js';

// Work the serving process runs besides answering requests (started by `siyu serve`, never by tests).
addBackgroundStarter(async (ctx, opts) => startRulesWorker(ctx.database.db, { log: opts.log, pairsOnly: ctx.database.kind === 'pglite', ingestBehind: intakeIsBehind, paused: demoBrandIsLoading }));
addBackgroundStarter(async (ctx, opts) => startOverviewRollupWarmer(ctx.database.db, { log: opts.log }));

/** Every module's routes, in one list: add a module here and its routes and OpenAPI entries appear. */
export async function registerModuleRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerWorkspaceRoutes(app, ctx);
  registerIngestRoutes(app, ctx);
  registerProfileRoutes(app, ctx);
  registerOrderRoutes(app, ctx);
  registerImportRoutes(app, ctx);
  registerAnalyticsRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  await registerChannelRoutesAndCallbacks(app, ctx);
  registerTemplateRoutes(app, ctx);
  registerRulesTierRoutes(app, ctx); // rules, tags, segments, lifecycle (and the rules worker when serving)
  registerLoyaltyRoutes(app, ctx);
  registerJourneys(app, ctx); // journeys API (and the journey worker when serving)
  await registerConsole(app); // the console at `/` (non-API GET paths)
}
