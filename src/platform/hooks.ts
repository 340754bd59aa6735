import type { Transaction } from 'kysely';
import type { DB } from './db/schema.js';
import type { Db } from './db/database.js';

/**
 * OneID re-shapes profiles (merge, unmerge). Events and orders follow their identifiers inside the identity module;
 * every other module that keeps rows per profile (tags, segments, points, coupons…) registers a remap handler here
 * (in src/modules/wiring.ts) and moves its rows in the same transaction as the re-shape.
 *
 * A remap says: rows written for profile `from` (their origin profile) now belong to profile `to`. After a merge of
 * B into A: {from: B, to: A}. After unmerging B back out: {from: B, to: B}. Rows therefore keep the profile id they
 * were written for (`origin_profile_id`) besides their current `profile_id`, so an unmerge can split them back.
 */
export interface ProfileRemap {
  from: number;
  to: number;
}

export type RemapHandler = (trx: Transaction<DB>, workspaceId: string, remaps: ProfileRemap[]) => Promise<void>;

const remapHandlers = new Map<string, RemapHandler>();

export function onProfileRemap(name: string, handler: RemapHandler): void {
  remapHandlers.set(name, handler);
}

export async function runProfileRemapHandlers(trx: Transaction<DB>, workspaceId: string, remaps: ProfileRemap[]): Promise<void> {
  if (remaps.length === 0) return;
  for (const handler of remapHandlers.values()) await handler(trx, workspaceId, remaps);
}

/** A profile is about to be deleted with its data (privacy erasure, operator action): modules delete their rows. */
export type ProfileDeleteHandler = (trx: Transaction<DB>, workspaceId: string, profileIds: number[]) => Promise<void>;
const deleteHandlers = new Map<string, ProfileDeleteHandler>();
export function onProfileDelete(name: string, handler: ProfileDeleteHandler): void {
  deleteHandlers.set(name, handler);
}
export async function runProfileDeleteHandlers(trx: Transaction<DB>, workspaceId: string, profileIds: number[]): Promise<void> {
  for (const handler of deleteHandlers.values()) await handler(trx, workspaceId, profileIds);
}

/**
 * Orders were created or changed (paid, refunded, cancelled), after their transaction committed. Loyalty settles
 * points and returns coupons here. Handlers must be idempotent: a failure fails the request, and the client's
 * retry (orders are idempotent by id) runs them again.
 */
export type OrdersWrittenHandler = (db: Db, workspaceId: string, orderIds: string[]) => Promise<void>;
const ordersWrittenHandlers = new Map<string, OrdersWrittenHandler>();
export function onOrdersWritten(name: string, handler: OrdersWrittenHandler): void {
  ordersWrittenHandlers.set(name, handler);
}
export async function runOrdersWrittenHandlers(db: Db, workspaceId: string, orderIds: string[]): Promise<void> {
  if (!orderIds.length) return;
  for (const handler of ordersWrittenHandlers.values()) await handler(db, workspaceId, orderIds);
}
