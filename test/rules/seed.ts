import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import { createWorkspace } from '../../src/modules/workspaces/index.js';

/**
 * Test data written straight into the data center tables (profiles, identifiers, events, orders, order_items), in
 * place of the ingest / orders modules, which land separately. Each call also queues the profile in
 * profile_changes, as ingest does in its transaction.
 */
export interface SeedEvent {
  event: string;
  timestamp: Date;
  properties?: Record<string, unknown>;
}
export interface SeedOrder {
  orderId?: string;
  status?: 'paid' | 'partially_refunded' | 'refunded' | 'cancelled' | 'pending';
  paid: number;
  refunded?: number;
  orderedAt: Date;
  storeId?: string;
  channel?: string;
  items?: Array<{ sku: string; category?: string; quantity?: number; price?: number; refundedQuantity?: number }>;
}
export interface SeedProfile {
  traits?: Record<string, unknown>;
  identifiers?: Array<{ type: string; value: string }>;
  events?: SeedEvent[];
  orders?: SeedOrder[];
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

export async function seedProfile(db: Db, workspaceId: string, seed: SeedProfile = {}): Promise<number> {
  const { rows } = await sql<{ id: number }>`SELECT nextval('profile_id_seq')::bigint AS id`.execute(db);
  const profileId = rows[0]!.id;
  await db.insertInto('profiles').values({ workspace_id: workspaceId, id: profileId, traits: JSON.stringify(seed.traits ?? {}), trait_times: '{}' }).execute();
  const identifiers = seed.identifiers ?? [{ type: 'userId', value: unique('u') }];
  const ids: number[] = [];
  for (const identifier of identifiers) {
    const row = await db
      .insertInto('identifiers')
      .values({ workspace_id: workspaceId, type: identifier.type, value: identifier.value, profile_id: profileId, origin_profile_id: profileId, first_seen_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  await addEvents(db, workspaceId, profileId, seed.events ?? [], ids[0] ?? 0);
  await addOrders(db, workspaceId, profileId, seed.orders ?? [], ids[0] ?? 0);
  return profileId;
}

export async function addEvents(db: Db, workspaceId: string, profileId: number, events: SeedEvent[], identifierId?: number): Promise<void> {
  if (events.length === 0) return markChanged(db, workspaceId, profileId);
  const identifier = identifierId ?? (await firstIdentifier(db, workspaceId, profileId));
  await db
    .insertInto('events')
    .values(
      events.map((e) => ({
        workspace_id: workspaceId,
        message_id: unique('m'),
        type: 'track',
        event: e.event,
        identifier_id: identifier,
        profile_id: profileId,
        timestamp: e.timestamp,
        received_at: e.timestamp,
        properties: JSON.stringify(e.properties ?? {}),
      })),
    )
    .execute();
  await markChanged(db, workspaceId, profileId);
}

export async function addOrders(db: Db, workspaceId: string, profileId: number, orders: SeedOrder[], identifierId?: number): Promise<void> {
  if (orders.length === 0) return markChanged(db, workspaceId, profileId);
  const identifier = identifierId ?? (await firstIdentifier(db, workspaceId, profileId));
  for (const o of orders) {
    const orderId = o.orderId ?? unique('o');
    await db
      .insertInto('orders')
      .values({
        workspace_id: workspaceId,
        order_id: orderId,
        identifier_id: identifier,
        profile_id: profileId,
        store_id: o.storeId ?? null,
        channel: o.channel ?? null,
        status: o.status ?? 'paid',
        total_amount: o.paid,
        paid_amount: o.paid,
        refunded_amount: o.refunded ?? 0,
        ordered_at: o.orderedAt,
      })
      .execute();
    const items = o.items ?? [];
    if (items.length) {
      await db
        .insertInto('order_items')
        .values(
          items.map((i, line) => ({
            workspace_id: workspaceId,
            order_id: orderId,
            line,
            sku: i.sku,
            category: i.category ?? null,
            quantity: i.quantity ?? 1,
            price: i.price ?? 1,
            refunded_quantity: i.refundedQuantity ?? 0,
          })),
        )
        .execute();
    }
  }
  await markChanged(db, workspaceId, profileId);
}

export async function setTraits(db: Db, workspaceId: string, profileId: number, traits: Record<string, unknown>): Promise<void> {
  await db.updateTable('profiles').set({ traits: JSON.stringify(traits) }).where('workspace_id', '=', workspaceId).where('id', '=', profileId).execute();
  await markChanged(db, workspaceId, profileId);
}

export async function markChanged(db: Db, workspaceId: string, profileId: number): Promise<void> {
  // As every writer of the feed: DO UPDATE (a row queued with a narrower scope becomes "everything", migration 0101).
  await db
    .insertInto('profile_changes')
    .values({ workspace_id: workspaceId, profile_id: profileId })
    .onConflict((oc) => oc.columns(['workspace_id', 'profile_id']).doUpdateSet({ changed_at: sql`now()` }))
    .execute();
}

async function firstIdentifier(db: Db, workspaceId: string, profileId: number): Promise<number> {
  const row = await db.selectFrom('identifiers').select('id').where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).orderBy('id').executeTakeFirst();
  return row?.id ?? 0;
}

/** A fresh workspace (as test/support/app.ts newWorkspace, without loading the HTTP server and every module). */
export async function newTestWorkspace(database: { db: Db }, timezone = 'Asia/Shanghai'): Promise<{ id: string; adminToken: string }> {
  return createWorkspace(database.db, { name: unique('rules'), timezone });
}
