import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import { failure, type Recipient, type SendResult } from './adapter.js';
import { openChannelConfig } from './configs.js';
import { emitProfileEvents, externalId, factMessageId, trackEvent, type ExternalIdType, type ProfileEventMessage } from './profile-events.js';
import { adapterFor } from './registry.js';
import type { ChannelKind, ChannelMessage } from './schema.js';

export interface DeliveryRequest {
  configId: string;
  message: ChannelMessage;
  recipient: Recipient;
  /** Unique per intended send (e.g. journey version + profile + node + entry): a second deliver() with it sends nothing. */
  idempotencyKey: string;
  /** Transactional messages skip the unsubscribe check and carry no List-Unsubscribe. */
  transactional?: boolean;
  /** Copied onto the delivery and its profile events (journey id, node id, template id…). */
  context?: Record<string, unknown>;
  /**
   * deliverMany only: the caller holds a durable claim of its own, committed before this call, that says a call may
   * be under way under this key (a journey outbox row `in_flight`, leased). When no delivery is on record under the
   * key yet, it is then written once, with its answer, instead of `sending` before the call and its answer after: an
   * attempt that dies before its answer is recorded leaves the caller's claim, which is taken again under the same key
   * (and the same delivery id). A key already on record goes the ordinary way (retaken, or its final answer returned).
   */
  claimedByCaller?: boolean;
}

export interface DeliveryOutcome {
  deliveryId: string;
  result: SendResult;
  /** True when the key had already been sent (or failed for good): the provider was not called again. */
  duplicate: boolean;
}

export const identityTypeOfChannel: Record<ChannelKind, ExternalIdType | undefined> = {
  email: 'email',
  sms: 'phone',
  wechat: 'wechat_openid',
  wecom: 'wecom_external_userid',
  webhook: undefined,
};

/**
 * Sends one message at most once per idempotency key. The attempt is recorded before the provider call (`sending`) and
 * its answer after (`sent` / `failed`): a row left in `sending` by a crash is re-attempted with the same key, which
 * providers that take one (WeChat client_msg_id, the webhook Idempotency-Key) use to drop the repeat.
 */
export async function deliver(db: Db, workspaceId: string, publicUrl: string, request: DeliveryRequest): Promise<DeliveryOutcome> {
  const config = await openChannelConfig(db, workspaceId, request.configId);
  const claimed = await claim(db, workspaceId, config.channel, request);
  if ('done' in claimed) return claimed.done;
  const { deliveryId } = claimed;

  let result: SendResult;
  if (!config.enabled) result = failure('permanent', 'channel_disabled', `channel ${config.id} is disabled`);
  else if (request.message.channel !== config.channel) result = failure('permanent', 'wrong_channel', `channel ${config.id} sends ${config.channel}, not ${request.message.channel}`);
  else if (!request.transactional && (await isUnsubscribed(db, workspaceId, config.channel, request.recipient.to))) {
    result = failure('permanent', 'unsubscribed', `${request.recipient.to} unsubscribed from ${config.channel}`);
  } else {
    const adapter = adapterFor(db, workspaceId, config, publicUrl, deliveryId);
    const message = request.message.channel === 'email' && request.transactional ? { ...request.message, transactional: true } : request.message;
    result = await adapter.send(message, request.recipient, request.idempotencyKey);
  }

  await db
    .updateTable('channel_deliveries')
    .set(
      result.ok
        ? { status: 'sent', provider_message_id: result.providerMessageId, error_kind: null, error_code: null, error_message: null, updated_at: new Date() }
        : { status: 'failed', error_kind: result.error.kind, error_code: result.error.code, error_message: result.error.message.slice(0, 1000), updated_at: new Date() },
    )
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', deliveryId)
    .execute();

  const event = result.ok ? 'Message Sent' : result.error.kind === 'retryable' ? undefined : 'Message Failed';
  if (event) {
    const properties = result.ok ? { providerMessageId: result.providerMessageId } : { errorKind: result.error.kind, errorCode: result.error.code, errorMessage: result.error.message };
    await emitProfileEvents(db, workspaceId, deliveryEvents(config.channel, request.recipient.to, deliveryId, event, { ...request.context, provider: config.provider, ...properties }));
  }
  return { deliveryId, result, duplicate: false };
}

async function claim(db: Db, workspaceId: string, channel: ChannelKind, request: DeliveryRequest): Promise<{ deliveryId: string } | { done: DeliveryOutcome }> {
  const inserted = await db
    .insertInto('channel_deliveries')
    .values({
      workspace_id: workspaceId,
      id: newId('dl'),
      idempotency_key: request.idempotencyKey,
      channel_config_id: request.configId,
      channel,
      recipient: request.recipient.to,
      profile_id: request.recipient.profileId ?? null,
      status: 'sending',
      attempts: 1,
      context: JSON.stringify(request.context ?? {}),
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { deliveryId: inserted.id };

  // Already attempted: a final answer is returned as is; an interrupted or retryable attempt is taken again.
  const retaken = await db
    .updateTable('channel_deliveries')
    .set({ status: 'sending', attempts: sql`attempts + 1`, updated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('idempotency_key', '=', request.idempotencyKey)
    .where((eb) => eb.or([eb('status', '=', 'sending'), eb.and([eb('status', '=', 'failed'), eb('error_kind', '=', 'retryable')])]))
    .returning('id')
    .executeTakeFirst();
  if (retaken) return { deliveryId: retaken.id };

  const row = await db
    .selectFrom('channel_deliveries')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('idempotency_key', '=', request.idempotencyKey)
    .executeTakeFirstOrThrow();
  const result: SendResult =
    row.status === 'failed'
      ? failure((row.error_kind ?? 'permanent') as 'permanent', row.error_code ?? '', row.error_message ?? '')
      : { ok: true, providerMessageId: row.provider_message_id ?? '' };
  return { done: { deliveryId: row.id, result, duplicate: true } };
}

export async function isUnsubscribed(db: Db, workspaceId: string, channel: ChannelKind, address: string): Promise<boolean> {
  const row = await db
    .selectFrom('channel_unsubscribes')
    .select('address')
    .where('workspace_id', '=', workspaceId)
    .where('channel', '=', channel)
    .where('address', '=', address)
    .executeTakeFirst();
  return row !== undefined;
}

/** The profile events of one delivery fact, identified by the address it went to. */
export function deliveryEvents(
  channel: ChannelKind,
  address: string,
  deliveryId: string,
  event: string,
  properties: Record<string, unknown>,
  at: Date = new Date(),
  distinct: string | number = '',
): ProfileEventMessage[] {
  const type = identityTypeOfChannel[channel];
  if (!type) return [];
  return [trackEvent(event, [externalId(type, address)], { channel, deliveryId, ...properties }, at, factMessageId(event, deliveryId, distinct), channel)];
}

export async function getDelivery(db: Db, workspaceId: string, id: string) {
  return db.selectFrom('channel_deliveries').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
}

/** A profile's messages, newest first. */
export async function listProfileDeliveries(db: Db, workspaceId: string, profileId: number, limit = 50) {
  return db
    .selectFrom('channel_deliveries')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}
