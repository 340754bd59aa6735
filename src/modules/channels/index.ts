/** Channels: one adapter interface over email, SMS, WeChat, WeCom and webhooks; configurations; deliveries; callbacks. */
export type { ChannelAdapter, FailureKind, Recipient, SendFailure, SendResult } from './adapter.js';
export {
  ChannelKind,
  ChannelMessage,
  ProviderKind,
  type EmailMessage,
  type SmsMessage,
  type WebhookMessage,
  type WechatTemplateMessage,
  type WecomMessage,
} from './schema.js';
export { createChannelConfig, getChannelConfig, listChannelConfigs, openChannelConfig, openChannelConfigs, type OpenChannelConfig } from './configs.js';
export { createAnswerRecorders, createCallLimiter, deliverMany, unsubscribedAddresses, type AnswerRecorders, type BatchDeliveryOutcome, type CallLimiter, type DeliverManyOptions } from './batch.js';
export { deliver, isUnsubscribed, listProfileDeliveries, type DeliveryOutcome, type DeliveryRequest } from './deliveries.js';
export { loadAdapter } from './registry.js';
export { identityTypeOfChannel } from './deliveries.js';
export { UNSUBSCRIBE_URL_PLACEHOLDER } from './tracking.js';
export { configureSecretKey, setSecretKey } from './secret-box.js';
export { setProfileEventSink, type IngestMessages, type ProfileEventMessage } from './profile-events.js';
export { onWecomCallback } from './wecom/callback.js';
export { deleteChannelRows } from './erase.js';

import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../platform/http/context.js';
import { registerChannelRoutes } from './routes.js';
import { registerChannelPublicRoutes } from './public-routes.js';

/** Admin routes (configurations, test connection, deliveries) and public ones (tracking, unsubscribe, callbacks). */
export async function registerChannelRoutesAndCallbacks(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerChannelRoutes(app, ctx);
  await registerChannelPublicRoutes(app, ctx);
}
