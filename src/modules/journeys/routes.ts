import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { enterManually } from './entries.js';
import { journeyStats, profileJourneyPaths } from './paths.js';
import { JourneyInput, JourneyPath, JourneyStats, JourneyStatus, JourneyVersionView, JourneyView } from './schema.js';
import { archiveJourney, createJourney, getJourney, listJourneys, listVersions, pauseJourney, publishJourney, updateJourney } from './service.js';
import { installJourneyTemplate, listJourneyTemplates } from './templates.js';
import { definitionIssues } from './validate.js';

const IdParams = z.object({ id: z.string().min(1) });
const Issue = z.object({ path: z.string().optional(), message: z.string() });

/** Journeys admin API: CRUD, validate, lifecycle, versions, stats per node, manual entry, built-ins, profile paths. */
export function registerJourneyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Journeys'];

  defineRoute(app, { method: 'GET', url: '/api/v1/journeys', summary: 'List journeys', tags, auth: 'admin', query: z.object({ status: JourneyStatus.optional() }), response: z.object({ data: z.array(JourneyView) }) },
    async ({ workspaceId, query }) => ({ data: await listJourneys(db, workspaceId, query) }));
  defineRoute(app, { method: 'POST', url: '/api/v1/journeys', summary: 'Create a journey (a draft, version 1)', tags, auth: 'admin', status: 201, body: JourneyInput, response: JourneyView },
    ({ workspaceId, body }) => createJourney(db, workspaceId, body));
  defineRoute(app, { method: 'POST', url: '/api/v1/journeys/validate', summary: 'Validate a journey definition; issues name the node at fault', tags, auth: 'admin',
    body: z.object({ definition: z.unknown() }), response: z.object({ valid: z.boolean(), issues: z.array(Issue) }) },
    async ({ body }) => {
      const { issues } = definitionIssues(body.definition);
      return { valid: issues.length === 0, issues };
    });
  defineRoute(app, { method: 'GET', url: '/api/v1/journeys/:id', summary: 'A journey with its latest definition', tags, auth: 'admin', params: IdParams, response: JourneyView },
    ({ workspaceId, params }) => getJourney(db, workspaceId, params.id));
  defineRoute(app, { method: 'PUT', url: '/api/v1/journeys/:id', summary: 'Edit a journey: a draft changes in place; a published journey gets a new draft version', tags, auth: 'admin',
    params: IdParams, body: JourneyInput.partial(), response: JourneyView },
    ({ workspaceId, params, body }) => updateJourney(db, workspaceId, params.id, body));
  defineRoute(app, { method: 'POST', url: '/api/v1/journeys/:id/publish', summary: 'Publish the latest version (or resume a paused journey)', tags, auth: 'admin', params: IdParams, response: JourneyView },
    ({ workspaceId, params }) => publishJourney(db, workspaceId, params.id));
  defineRoute(app, { method: 'POST', url: '/api/v1/journeys/:id/pause', summary: 'Pause: nobody enters, people inside are held', tags, auth: 'admin', params: IdParams, response: JourneyView },
    ({ workspaceId, params }) => pauseJourney(db, workspaceId, params.id));
  defineRoute(app, { method: 'POST', url: '/api/v1/journeys/:id/archive', summary: 'Archive: nobody enters, people inside leave', tags, auth: 'admin', params: IdParams, response: JourneyView },
    ({ workspaceId, params }) => archiveJourney(db, workspaceId, params.id));
  defineRoute(app, { method: 'GET', url: '/api/v1/journeys/:id/versions', summary: 'Versions of a journey, newest first', tags, auth: 'admin', params: IdParams, response: z.object({ data: z.array(JourneyVersionView) }) },
    async ({ workspaceId, params }) => ({ data: await listVersions(db, workspaceId, params.id) }));
  defineRoute(app, { method: 'GET', url: '/api/v1/journeys/:id/stats', summary: 'Entered, waiting, exited and converted, per journey and per node', tags, auth: 'admin', params: IdParams, response: JourneyStats },
    ({ workspaceId, params }) => journeyStats(db, workspaceId, params.id));
  defineRoute(app, { method: 'POST', url: '/api/v1/journeys/:id/enter', summary: 'Manual/API entry of profiles into a published journey', tags, auth: 'admin', params: IdParams,
    body: z.object({ profileIds: z.array(z.number().int().positive()).min(1).max(10_000) }), response: z.object({ entered: z.number() }) },
    ({ workspaceId, params, body, actor }) => enterManually(db, workspaceId, params.id, body.profileIds, actor));

  defineRoute(app, { method: 'GET', url: '/api/v1/journey-templates', summary: 'Built-in lifecycle journeys', tags, auth: 'admin',
    response: z.object({ data: z.array(z.object({ key: z.string(), name: z.string(), description: z.string(), trigger: z.unknown() })) }) },
    async () => ({ data: listJourneyTemplates() }));
  defineRoute(app, { method: 'POST', url: '/api/v1/journey-templates/:id/install', summary: 'Install a built-in journey as a draft, with its message templates on a channel', tags, auth: 'admin', status: 201,
    params: IdParams, body: z.object({ channelId: z.string().min(1), name: z.string().trim().min(1).max(200).optional() }), response: JourneyView },
    ({ workspaceId, params, body }) => installJourneyTemplate(db, workspaceId, params.id, body));

  defineRoute(app, { method: 'GET', url: '/api/v1/profiles/:id/journeys', summary: 'A profile\'s journey paths: entered, each node with time and outcome, exit and why', tags: ['Journeys', 'Profiles'], auth: 'admin',
    params: z.object({ id: z.coerce.number().int().positive() }), query: z.object({ journeyId: z.string().optional() }), response: z.object({ data: z.array(JourneyPath) }) },
    async ({ workspaceId, params, query }) => ({ data: await profileJourneyPaths(db, workspaceId, params.id, { journeyId: query.journeyId }) }));
}
