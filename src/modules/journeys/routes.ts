import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { enterManually } from './entries.js';
import { journeyStats, profileJourneyPaths, topJourneys } from './paths.js';
import { sql } from 'kysely';
import { JourneyInput, JourneyNode, JourneyPath, JourneyStats, JourneyStatus, JourneyVersionView, JourneyView, Policies, Trigger } from './schema.js';
import { archiveJourney, createJourney, getJourney, listJourneys, listVersions, pauseJourney, publishJourney, updateJourney } from './service.js';
import { installJourneyTemplate, listJourneyTemplates } from './templates.js';
import { definitionIssues } from './validate.js';

const IdParams = z.object({ id: z.string().min(1) });
const Issue = z.object({ path: z.string().optional(), message: z.string() });
const Totals = z.object({ journeyId: z.string(), entered: z.number(), active: z.number(), finished: z.number(), exited: z.number(), converted: z.number() });
const TopJourney = z.object({ journeyId: z.string(), name: z.string(), status: JourneyStatus, entered: z.number(), converted: z.number(),
  conversionRate: z.number().describe('converted / entered (0 when nobody entered)') });
const Entry = z.object({ entryId: z.number(), profileId: z.number(), name: z.string().nullable(), version: z.number(), status: z.enum(['active', 'finished', 'exited']),
  nodeId: z.string(), enteredAt: z.date(), finishedAt: z.date().nullable(), exitReason: z.string().nullable(), converted: z.boolean() });

/** The journey language described for editors: each node type, trigger type and the policies as JSON Schema (rules by reference). */
function describeJourneySchema() {
  const opts = { io: 'input', unrepresentable: 'any' } as const;
  const byType = (union: { options: readonly z.ZodType[] }) =>
    Object.fromEntries(union.options.map((o) => {
      const schema = z.toJSONSchema(o, opts) as { properties?: Record<string, { const?: string }>; $defs?: unknown };
      delete schema.$defs; // the rule language: GET /api/v1/rules/schema
      return [String(schema.properties?.type?.const), schema];
    }));
  const policies = z.toJSONSchema(Policies, opts) as { $defs?: unknown };
  delete policies.$defs;
  return { version: 1, nodes: byType(JourneyNode), triggers: byType(Trigger), policies };
}

/** Journeys admin API: CRUD, validate, lifecycle, versions, stats per node, manual entry, built-ins, profile paths. */
export function registerJourneyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Journeys'];

  defineRoute(app, { method: 'GET', url: '/api/v1/journeys', summary: 'List journeys', tags, auth: 'admin', query: z.object({ status: JourneyStatus.optional() }), response: z.object({ data: z.array(JourneyView) }) },
    async ({ workspaceId, query }) => ({ data: await listJourneys(db, workspaceId, query) }));
  defineRoute(app, { method: 'GET', url: '/api/v1/journeys/schema', summary: 'The journey language described for editors: JSON Schema of each node type, trigger type and the policies', tags, auth: 'admin',
    response: z.object({ version: z.number(), nodes: z.record(z.string(), z.unknown()), triggers: z.record(z.string(), z.unknown()), policies: z.unknown() }) },
    async () => describeJourneySchema());
  defineRoute(app, { method: 'GET', url: '/api/v1/journeys/totals', summary: 'Entered, active, finished, exited and converted for every journey of the workspace (one read for the list)', tags, auth: 'admin',
    response: z.object({ data: z.array(Totals) }) },
    async ({ workspaceId }) => {
      const { rows } = await sql<z.infer<typeof Totals>>`
        SELECT journey_id AS "journeyId", count(*)::int AS entered, count(*) FILTER (WHERE status = 'active')::int AS active,
          count(*) FILTER (WHERE status = 'finished')::int AS finished, count(*) FILTER (WHERE status = 'exited')::int AS exited,
          count(*) FILTER (WHERE converted)::int AS converted
        FROM journey_entries WHERE workspace_id = ${workspaceId} GROUP BY journey_id`.execute(db);
      return { data: rows };
    });
  defineRoute(app, { method: 'GET', url: '/api/v1/reports/journeys', summary: 'Top journeys by conversions (goal met), with entered counts and conversion rates', tags, auth: 'admin',
    query: z.object({ limit: z.coerce.number().int().min(1).max(50).default(5) }), response: z.object({ data: z.array(TopJourney) }) },
    async ({ workspaceId, query }) => ({ data: await topJourneys(db, workspaceId, query.limit) }));
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
  defineRoute(app, { method: 'GET', url: '/api/v1/journeys/:id/entries', summary: 'Who entered a journey, newest first (to open one person\'s path)', tags, auth: 'admin', params: IdParams,
    query: z.object({ status: z.enum(['active', 'finished', 'exited']).optional(), profileId: z.coerce.number().int().positive().optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50), offset: z.coerce.number().int().min(0).default(0) }),
    response: z.object({ data: z.array(Entry), total: z.number() }) },
    async ({ workspaceId, params, query }) => {
      await getJourney(db, workspaceId, params.id); // 404 for an unknown journey
      let q = db.selectFrom('journey_entries as e').where('e.workspace_id', '=', workspaceId).where('e.journey_id', '=', params.id);
      if (query.status) q = q.where('e.status', '=', query.status);
      if (query.profileId) q = q.where('e.profile_id', '=', query.profileId);
      const [rows, total] = await Promise.all([
        q.leftJoin('profiles as p', (j) => j.onRef('p.workspace_id', '=', 'e.workspace_id').onRef('p.id', '=', 'e.profile_id'))
          .select(['e.id', 'e.profile_id', 'e.version', 'e.status', 'e.node_id', 'e.entered_at', 'e.finished_at', 'e.exit_reason', 'e.converted', sql<string | null>`p.traits->>'name'`.as('name')])
          .orderBy('e.id', 'desc').limit(query.limit).offset(query.offset).execute(),
        q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
      ]);
      return {
        total: total.n,
        data: rows.map((r) => ({ entryId: r.id, profileId: r.profile_id, name: r.name, version: r.version, status: r.status, nodeId: r.node_id, enteredAt: r.entered_at,
          finishedAt: r.finished_at, exitReason: r.exit_reason, converted: r.converted })),
      };
    });
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
