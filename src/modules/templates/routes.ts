import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { TemplateDataOverride, TemplateInput, TemplateView } from './schema.js';
import { createTemplate, deleteTemplate, getTemplate, listTemplates, previewDraft, previewTemplate, testSendTemplate, updateTemplate } from './service.js';

const Rendered = z.object({
  message: z.record(z.string(), z.unknown()).describe('the rendered message, as channels take it'),
  sms: z.object({ encoding: z.enum(['gsm7', 'ucs2', 'china']), characters: z.number(), units: z.number(), segments: z.number(), perSegment: z.number() }).optional(),
});
const PreviewBody = z.object({
  profileId: z.number().int().optional().describe('render for this person (traits); `data` adds to or overrides it'),
  data: TemplateDataOverride.optional().describe('event properties, tags, coupon and points data to render with'),
});

export function registerTemplateRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Templates'];
  const Id = z.object({ id: z.string() });

  defineRoute(app, { method: 'GET', url: '/api/v1/templates', summary: 'List message templates', tags, auth: 'admin',
    query: z.object({ channel: z.enum(['email', 'sms', 'wechat', 'wecom', 'webhook']).optional() }), response: z.object({ data: z.array(TemplateView) }) },
    async ({ workspaceId, query }) => ({ data: await listTemplates(db, workspaceId, query.channel) }));
  defineRoute(app, { method: 'POST', url: '/api/v1/templates', summary: 'Create a template; Liquid syntax, unknown variables and filters are refused with a 400 naming the part', tags, auth: 'admin', status: 201,
    body: TemplateInput, response: TemplateView },
    ({ workspaceId, body }) => createTemplate(db, workspaceId, body));
  defineRoute(app, { method: 'GET', url: '/api/v1/templates/:id', summary: 'One template', tags, auth: 'admin', params: Id, response: TemplateView },
    ({ workspaceId, params }) => getTemplate(db, workspaceId, params.id));
  defineRoute(app, { method: 'PUT', url: '/api/v1/templates/:id', summary: 'Replace a template (same channel), validated like a new one', tags, auth: 'admin',
    params: Id, body: TemplateInput, response: TemplateView },
    ({ workspaceId, params, body }) => updateTemplate(db, workspaceId, params.id, body));
  defineRoute(app, { method: 'DELETE', url: '/api/v1/templates/:id', summary: 'Delete a template', tags, auth: 'admin', params: Id, status: 204 },
    async ({ workspaceId, params }) => {
      await deleteTemplate(db, workspaceId, params.id);
    });
  defineRoute(app, { method: 'POST', url: '/api/v1/templates/:id/preview', summary: 'Render for a profile and/or given data (SMS: length and segments)', tags, auth: 'admin',
    params: Id, body: PreviewBody, response: Rendered },
    ({ workspaceId, params, body }) => previewTemplate(db, workspaceId, params.id, body));
  // The same read as a GET, so read-only roles (analysts) can see a template rendered for a person.
  defineRoute(app, { method: 'GET', url: '/api/v1/templates/:id/preview', summary: 'Render a stored template for a profile (the GET form of the preview)', tags, auth: 'admin',
    params: Id, query: z.object({ profileId: z.coerce.number().int().positive().optional() }), response: Rendered },
    ({ workspaceId, params, query }) => previewTemplate(db, workspaceId, params.id, { profileId: query.profileId }));
  defineRoute(app, { method: 'POST', url: '/api/v1/templates/preview', summary: 'Render a template being edited (not saved) for a profile: Liquid errors are a 400 naming the part, like a save', tags, auth: 'admin',
    body: PreviewBody.extend({ template: TemplateInput }), response: Rendered },
    ({ workspaceId, body }) => previewDraft(db, workspaceId, body.template, body));
  defineRoute(app, { method: 'POST', url: '/api/v1/templates/:id/test-send', summary: "Render for a profile and send through a channel now (to the profile's address, or `to`)", tags, auth: 'admin',
    params: Id,
    body: PreviewBody.extend({ channelId: z.string(), to: z.string().optional() }),
    response: z.object({ deliveryId: z.string(), ok: z.boolean(), providerMessageId: z.string().optional(), error: z.record(z.string(), z.unknown()).optional(), rendered: Rendered }) },
    async ({ workspaceId, params, body }) => {
      const outcome = await testSendTemplate(db, workspaceId, ctx.publicUrl, params.id, body);
      const { result } = outcome;
      return { deliveryId: outcome.deliveryId, ok: result.ok, ...(result.ok ? { providerMessageId: result.providerMessageId } : { error: result.error }), rendered: outcome.rendered };
    });
}
