import type { Db } from '../../platform/db/database.js';
import { deliveryEvents, getDelivery } from './deliveries.js';
import { emitProfileEvents } from './profile-events.js';
import type { ChannelKind } from './schema.js';
import type { TrackingClaims } from './tracking.js';

/**
 * What the public tracking endpoints record: opens, clicks and unsubscribes become profile events (opens within the
 * same minute fold into one), and an unsubscribe suppresses the address on that channel for marketing sends.
 */
const minute = (at: Date) => Math.floor(at.getTime() / 60_000);

async function deliveryOf(db: Db, claims: TrackingClaims) {
  return getDelivery(db, claims.workspaceId, claims.deliveryId);
}

export async function recordOpen(db: Db, claims: TrackingClaims, at = new Date()): Promise<void> {
  const delivery = await deliveryOf(db, claims);
  if (!delivery) return;
  await emitProfileEvents(
    db,
    claims.workspaceId,
    deliveryEvents(delivery.channel as ChannelKind, delivery.recipient, delivery.id, 'Email Opened', { ...delivery.context }, at, minute(at)),
  );
}

export async function recordClick(db: Db, claims: TrackingClaims, at = new Date()): Promise<void> {
  const delivery = await deliveryOf(db, claims);
  if (!delivery) return;
  await emitProfileEvents(
    db,
    claims.workspaceId,
    deliveryEvents(delivery.channel as ChannelKind, delivery.recipient, delivery.id, 'Email Link Clicked', { ...delivery.context, url: claims.url }, at, `${claims.url}\u0000${minute(at)}`),
  );
}

/** Returns the address and channel unsubscribed, or undefined when the delivery is unknown. */
export async function recordUnsubscribe(db: Db, claims: TrackingClaims, method: 'one_click' | 'page', at = new Date()): Promise<{ channel: string; address: string } | undefined> {
  const delivery = await deliveryOf(db, claims);
  if (!delivery) return undefined;
  await db
    .insertInto('channel_unsubscribes')
    .values({ workspace_id: claims.workspaceId, channel: delivery.channel, address: delivery.recipient, delivery_id: delivery.id })
    .onConflict((oc) => oc.columns(['workspace_id', 'channel', 'address']).doNothing())
    .execute();
  await emitProfileEvents(
    db,
    claims.workspaceId,
    deliveryEvents(delivery.channel as ChannelKind, delivery.recipient, delivery.id, 'Unsubscribed', { ...delivery.context, method }, at),
  );
  return { channel: delivery.channel, address: delivery.recipient };
}
