import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { createChannelConfig, deleteChannelConfig, getChannelConfig, listChannelConfigs, updateChannelConfig } from './configs.js';
import { deliver, getDelivery, listProfileDeliveries } from './deliveries.js';
import { loadAdapter } from './registry.js';
import { ChannelConfigInput, ChannelConfigUpdate, ChannelConfigView, ChannelKind, ChannelMessage, channelOfProvider, providerSchemas, type ProviderKind } from './schema.js';
import { notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';

const Failure = z.object({ kind: z.enum(['retryable', 'permanent', 'invalid_recipient']), code: z.string(), message: z.string() });
const Delivery = z.object({
  id: z.string(),
  channel: z.string(),
  channelConfigId: z.string(),
  recipient: z.string(),
  profileId: z.number().nullable(),
  status: z.enum(['sending', 'sent', 'delivered', 'failed']),
  attempts: z.number(),
  providerMessageId: z.string().nullable(),
  error: Failure.nullable(),
  context: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const SendOutcome = z.object({ deliveryId: z.string(), ok: z.boolean(), providerMessageId: z.string().optional(), error: Failure.optional(), duplicate: z.boolean() });

type DeliveryRow = NonNullable<Awaited<ReturnType<typeof getDelivery>>>;
const deliveryView = (r: DeliveryRow) => ({
  id: r.id,
  channel: r.channel,
  channelConfigId: r.channel_config_id,
  recipient: r.recipient,
  profileId: r.profile_id,
  status: r.status,
  attempts: r.attempts,
  providerMessageId: r.provider_message_id,
  error: r.error_kind ? { kind: r.error_kind as z.infer<typeof Failure>['kind'], code: r.error_code ?? '', message: r.error_message ?? '' } : null,
  context: r.context,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function registerChannelRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Channels'];
  const Id = z.object({ id: z.string() });

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/channels', summary: 'List channel configurations (secrets are never returned)', tags, auth: 'admin',
      query: z.object({ channel: ChannelKind.optional() }), response: z.object({ data: z.array(ChannelConfigView) }) },
    async ({ workspaceId, query }) => ({ data: await listChannelConfigs(db, workspaceId, query.channel, ctx.publicUrl) }),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/channels/providers', summary: 'The providers described for settings forms: channel, settings and secrets (write-only) as JSON Schema', tags, auth: 'admin',
      response: z.object({ data: z.array(z.object({ provider: z.string(), channel: ChannelKind, settings: z.unknown(), secrets: z.unknown() })) }) },
    async () => ({
      data: (Object.keys(providerSchemas) as ProviderKind[]).map((provider) => ({
        provider,
        channel: channelOfProvider[provider],
        settings: z.toJSONSchema(providerSchemas[provider].settings, { io: 'input' }),
        secrets: z.toJSONSchema(providerSchemas[provider].secrets, { io: 'input' }),
      })),
    }),
  );
  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/channels', summary: 'Configure a channel; credentials are sealed with AES-256-GCM', tags, auth: 'admin', status: 201,
      body: ChannelConfigInput, response: ChannelConfigView },
    ({ workspaceId, body }) => createChannelConfig(db, workspaceId, body, ctx.publicUrl),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/channels/:id', summary: 'One channel configuration, with its callback URL for WeChat/WeCom', tags, auth: 'admin',
      params: Id, response: ChannelConfigView },
    ({ workspaceId, params }) => getChannelConfig(db, workspaceId, params.id, ctx.publicUrl),
  );
  defineRoute(
    app,
    { method: 'PATCH', url: '/api/v1/channels/:id', summary: 'Change a channel: settings are replaced, secrets given are replaced, others kept', tags, auth: 'admin',
      params: Id, body: ChannelConfigUpdate, response: ChannelConfigView },
    ({ workspaceId, params, body }) => updateChannelConfig(db, workspaceId, params.id, body, ctx.publicUrl),
  );
  defineRoute(
    app,
    { method: 'DELETE', url: '/api/v1/channels/:id', summary: 'Remove a channel configuration', tags, auth: 'admin', params: Id, status: 204 },
    async ({ workspaceId, params }) => {
      await deleteChannelConfig(db, workspaceId, params.id);
    },
  );
  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/channels/:id/test', summary: 'Test the connection and credentials without messaging anyone', tags, auth: 'admin',
      params: Id, response: z.object({ ok: z.boolean(), detail: z.string().optional(), error: Failure.optional() }) },
    async ({ workspaceId, params }) => {
      const adapter = await loadAdapter(db, workspaceId, params.id, ctx.publicUrl);
      return adapter.testConnection();
    },
  );
  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/channels/:id/send', summary: 'Send one message now (operator test send); at most once per idempotency key', tags, auth: 'admin',
      params: Id,
      body: z.object({
        to: z.string().min(1).describe('email, phone, openid, external_userid (WelcomeCode for a WeCom welcome)'),
        profileId: z.number().int().optional(),
        message: ChannelMessage,
        idempotencyKey: z.string().min(1).max(200).optional(),
        transactional: z.boolean().default(false),
      }),
      response: SendOutcome },
    async ({ workspaceId, params, body }) => {
      const outcome = await deliver(db, workspaceId, ctx.publicUrl, {
        configId: params.id,
        message: body.message,
        recipient: { to: body.to, profileId: body.profileId },
        idempotencyKey: body.idempotencyKey ?? newId('manual'),
        transactional: body.transactional,
        context: { source: 'manual' },
      });
      const { result } = outcome;
      return { deliveryId: outcome.deliveryId, duplicate: outcome.duplicate, ok: result.ok, ...(result.ok ? { providerMessageId: result.providerMessageId } : { error: result.error }) };
    },
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/deliveries', summary: "A profile's messages, newest first", tags, auth: 'admin',
      query: z.object({ profileId: z.coerce.number().int(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
      response: z.object({ data: z.array(Delivery) }) },
    async ({ workspaceId, query }) => ({ data: (await listProfileDeliveries(db, workspaceId, query.profileId, query.limit)).map(deliveryView) }),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/deliveries/:id', summary: 'One message: its status, attempts and provider answer', tags, auth: 'admin', params: Id, response: Delivery },
    async ({ workspaceId, params }) => {
      const row = await getDelivery(db, workspaceId, params.id);
      if (!row) throw notFound(`delivery ${params.id}`);
      return deliveryView(row);
    },
  );
}
