import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { requestDate } from '../../platform/http/validation.js';
import { aiplReport } from './aipl.js';
import { profileLifecycle } from './profile.js';
import { rfmReport } from './rfm.js';
import { AiplReport, LifecycleSettings, ProfileLifecycleView, RfmReport } from './schema.js';
import { getLifecycleSettings, saveLifecycleSettings } from './settings.js';

/** `recompute` runs the daily pass now (stages, daily counts, RFM, rule tags and segments), owned by segments. */
export function registerLifecycleRoutes(app: FastifyInstance, ctx: AppContext, hooks: { recompute: (workspaceId: string) => Promise<void> }): void {
  const { db } = ctx.database;
  const tags = ['Lifecycle'];
  defineRoute(app, { method: 'GET', url: '/api/v1/lifecycle/settings', summary: 'AIPL event→stage mapping and window; RFM window and scoring', tags, auth: 'admin', response: LifecycleSettings },
    ({ workspaceId }) => getLifecycleSettings(db, workspaceId));
  defineRoute(app, { method: 'PUT', url: '/api/v1/lifecycle/settings', summary: 'Replace the lifecycle settings (takes effect at the next recompute)', tags, auth: 'admin', body: LifecycleSettings, response: LifecycleSettings },
    ({ workspaceId, body }) => saveLifecycleSettings(db, workspaceId, body));
  defineRoute(app, { method: 'POST', url: '/api/v1/lifecycle/recompute', summary: 'Run the daily pass now: AIPL stages, daily counts, RFM, rule tags and segments', tags, auth: 'admin',
    response: z.object({ ok: z.literal(true) }) },
    async ({ workspaceId }) => {
      await hooks.recompute(workspaceId);
      return { ok: true as const };
    });
  defineRoute(app, { method: 'GET', url: '/api/v1/reports/aipl', summary: 'AIPL daily counts per stage and flows between stages (Sankey) over a period', tags, auth: 'admin',
    query: z.object({ from: requestDate, to: requestDate }), response: AiplReport },
    ({ workspaceId, query }) => aiplReport(db, workspaceId, query.from, query.to));
  defineRoute(app, { method: 'GET', url: '/api/v1/reports/rfm', summary: 'RFM: profiles and revenue per class, and the R×F grid', tags, auth: 'admin', response: RfmReport },
    ({ workspaceId }) => rfmReport(db, workspaceId));
  defineRoute(app, { method: 'GET', url: '/api/v1/profiles/:id/lifecycle', summary: 'A profile\'s AIPL stage with history, and its RFM', tags, auth: 'admin',
    params: z.object({ id: z.coerce.number().int().positive() }), response: ProfileLifecycleView },
    ({ workspaceId, params }) => profileLifecycle(db, workspaceId, params.id));
}
