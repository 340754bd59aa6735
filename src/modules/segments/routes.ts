import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { CsvDownloadQuery, sendCsv } from '../../platform/http/csv-download.js';
import { defineRoute } from '../../platform/http/route.js';
import { describeRuleSchema, referencesOf, Rule, validateRule } from '../rules/index.js';
import { recomputeWithDependents } from './evaluation.js';
import { Member, Segment, SegmentInput, SegmentUpdate, StaticSegmentInput } from './schema.js';
import {
  createSegment,
  createStaticSegment,
  deleteSegment,
  estimateRule,
  exportMembersCsv,
  getSegment,
  listMembers,
  pageSegments,
  profileSegments,
  updateSegment,
} from './service.js';
import { segmentTrend } from './trend.js';

const IdParams = z.object({ id: z.string().min(1) });
/** A rule passed as JSON in the query string (GET variants of reads, open to read-only roles). */
const JsonQueryRule = z.string().min(1).max(8000).transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'the rule must be JSON' });
    return z.NEVER;
  }
});
const Estimate = z.object({ size: z.number(), sample: z.array(z.number()) });
const csvList = z
  .string()
  .optional()
  .transform((s) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []));

export function registerSegmentRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Segments'];

  defineRoute(app, { method: 'POST', url: '/api/v1/rules/validate', summary: 'Validate a rule: errors point at the offending node', tags: ['Rules'], auth: 'admin',
    body: z.object({ rule: z.unknown(), owner: z.object({ kind: z.enum(['tag', 'segment']), id: z.string() }).optional() }),
    response: z.object({ valid: z.literal(true), rule: Rule, references: z.array(z.object({ kind: z.string(), id: z.string(), path: z.string() })) }) },
    async ({ workspaceId, body }) => {
      const rule = await validateRule(db, workspaceId, body.rule, body.owner, 'body.rule');
      return { valid: true as const, rule, references: referencesOf(rule.condition) };
    });
  defineRoute(app, { method: 'POST', url: '/api/v1/rules/estimate', summary: 'Size and sample of a rule while it is edited (nothing saved)', tags: ['Rules'], auth: 'admin',
    body: z.object({ rule: z.unknown() }), response: Estimate },
    ({ workspaceId, body }) => estimateRule(db, workspaceId, body.rule));
  // The same read as a GET, so read-only roles (analysts) can see sizes while they explore a rule.
  defineRoute(app, { method: 'GET', url: '/api/v1/rules/estimate', summary: 'Size and sample of a rule given as JSON in `rule` (the GET form of POST /api/v1/rules/estimate)', tags: ['Rules'], auth: 'admin',
    query: z.object({ rule: JsonQueryRule }), response: Estimate },
    ({ workspaceId, query }) => estimateRule(db, workspaceId, query.rule, new Date(), 'query.rule'));
  defineRoute(app, { method: 'GET', url: '/api/v1/rules/schema', summary: 'The rule language described for editors: condition kinds, their fields and allowed operators', tags: ['Rules'], auth: 'admin',
    response: z.object({ version: z.number(), kinds: z.record(z.string(), z.record(z.string(), z.object({ required: z.boolean(), enum: z.array(z.string()).optional(), type: z.string().optional() }))),
      traitOps: z.record(z.string(), z.array(z.string())), propertyFilterOps: z.array(z.string()), windowTypes: z.array(z.string()), jsonSchema: z.unknown() }) },
    async () => describeRuleSchema());

  defineRoute(app, { method: 'GET', url: '/api/v1/segments', summary: 'List segments with their sizes: filtered (name, kind), sorted and paged (`limit`, `offset`; `total` counts all matches)', tags, auth: 'admin',
    query: z.object({
      q: z.string().trim().max(100).optional(),
      kind: z.enum(['rule', 'static']).optional(),
      sort: z.enum(['createdAt', 'name', 'size', 'updatedAt']).optional(),
      order: z.enum(['asc', 'desc']).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(1000),
      offset: z.coerce.number().int().min(0).default(0),
    }),
    response: z.object({ data: z.array(Segment), total: z.number() }) },
    ({ workspaceId, query }) => pageSegments(db, workspaceId, query));
  defineRoute(app, { method: 'POST', url: '/api/v1/segments', summary: 'Create a rule segment (materialised at once, then kept current)', tags, auth: 'admin', status: 201, body: SegmentInput, response: Segment },
    ({ workspaceId, body }) => createSegment(db, workspaceId, body));
  defineRoute(app, { method: 'POST', url: '/api/v1/segments/static', summary: 'Create a static segment from profile ids, a CSV, or a snapshot of another segment', tags, auth: 'admin', status: 201,
    body: StaticSegmentInput, bodyLimit: 25 * 1024 * 1024, response: Segment.extend({ unmatched: z.number() }) },
    ({ workspaceId, body }) => createStaticSegment(db, workspaceId, body));
  defineRoute(app, { method: 'GET', url: '/api/v1/segments/:id', summary: 'A segment', tags, auth: 'admin', params: IdParams, response: Segment },
    ({ workspaceId, params }) => getSegment(db, workspaceId, params.id));
  defineRoute(app, { method: 'PATCH', url: '/api/v1/segments/:id', summary: 'Rename a segment or change its rule (full recompute)', tags, auth: 'admin', params: IdParams, body: SegmentUpdate, response: Segment },
    ({ workspaceId, params, body }) => updateSegment(db, workspaceId, params.id, body));
  defineRoute(app, { method: 'DELETE', url: '/api/v1/segments/:id', summary: 'Delete a segment no rule uses', tags, auth: 'admin', params: IdParams, response: Segment },
    ({ workspaceId, params }) => deleteSegment(db, workspaceId, params.id));
  defineRoute(app, { method: 'POST', url: '/api/v1/segments/:id/recompute', summary: 'Recompute a rule segment and what depends on it now', tags, auth: 'admin', params: IdParams, response: Segment },
    async ({ workspaceId, params }) => {
      await getSegment(db, workspaceId, params.id);
      await recomputeWithDependents(db, workspaceId, { kind: 'segment', id: params.id }, new Date());
      return getSegment(db, workspaceId, params.id);
    });
  defineRoute(app, { method: 'GET', url: '/api/v1/segments/:id/members', summary: 'Members, paged by profile id (pass `after` = the previous page\'s `next`)', tags, auth: 'admin', params: IdParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), after: z.coerce.number().int().min(0).optional() }),
    response: z.object({ data: z.array(Member), next: z.number().nullable() }) },
    ({ workspaceId, params, query }) => listMembers(db, workspaceId, params.id, query));
  defineRoute(app, { method: 'GET', url: '/api/v1/segments/:id/export', summary: 'Members as CSV: profile id, chosen identifier types and traits', tags, auth: 'admin', params: IdParams,
    query: z.object({ identifierTypes: csvList, traits: csvList, ...CsvDownloadQuery }) },
    async ({ workspaceId, params, query, reply }) => {
      const csv = await exportMembersCsv(db, workspaceId, params.id, query);
      const segment = await getSegment(db, workspaceId, params.id);
      return sendCsv(reply, csv, `${segment.name}.csv`, query);
    });
  defineRoute(app, { method: 'GET', url: '/api/v1/segments/:id/trend', summary: 'Profiles that entered and left the segment per day (workspace time zone)', tags, auth: 'admin', params: IdParams,
    query: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
    response: z.object({ days: z.number(), timezone: z.string(), data: z.array(z.object({ day: z.string(), entered: z.number(), exited: z.number() })) }) },
    ({ workspaceId, params, query }) => segmentTrend(db, workspaceId, params.id, query.days));
  defineRoute(app, { method: 'GET', url: '/api/v1/profiles/:id/segments', summary: 'A profile\'s segments', tags, auth: 'admin', params: z.object({ id: z.coerce.number().int().positive() }),
    response: z.object({ data: z.array(z.object({ segmentId: z.string(), name: z.string(), kind: z.string(), enteredAt: z.date() })) }) },
    async ({ workspaceId, params }) => ({ data: await profileSegments(db, workspaceId, params.id) }));
}
