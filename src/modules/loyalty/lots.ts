import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

type Trx = Transaction<DB>;

export interface OpenLot {
  entryId: number;
  remaining: number;
  expiresAt: Date | null;
  sourceType: string;
  sourceId: string | null;
}

/** A profile's lots with points left, in consumption order: soonest expiry first, then oldest (FIFO). */
export async function openLots(trx: Trx, workspaceId: string, profileId: number): Promise<OpenLot[]> {
  const rows = await trx
    .selectFrom('points_lots')
    .select(['entry_id', 'remaining', 'expires_at', 'source_type', 'source_id'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .where('remaining', '>', 0)
    .orderBy(sql`expires_at NULLS LAST`)
    .orderBy('entry_id')
    .execute();
  return rows.map((r) => ({ entryId: r.entry_id, remaining: r.remaining, expiresAt: r.expires_at, sourceType: r.source_type, sourceId: r.source_id }));
}

/** The open lots of several profiles, each list in consumption order (one statement). */
export async function openLotsOf(trx: Trx, workspaceId: string, profileIds: number[]): Promise<Map<number, OpenLot[]>> {
  const out = new Map<number, OpenLot[]>(profileIds.map((p) => [p, []]));
  if (profileIds.length === 0) return out;
  const rows = await trx
    .selectFrom('points_lots')
    .select(['profile_id', 'entry_id', 'remaining', 'expires_at', 'source_type', 'source_id'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', sql<number>`ANY(${profileIds}::bigint[])`)
    .where('remaining', '>', 0)
    .orderBy('profile_id')
    .orderBy(sql`expires_at NULLS LAST`)
    .orderBy('entry_id')
    .execute();
  for (const r of rows) out.get(r.profile_id)?.push({ entryId: r.entry_id, remaining: r.remaining, expiresAt: r.expires_at, sourceType: r.source_type, sourceId: r.source_id });
  return out;
}

export const isExpired = (lot: OpenLot, now: Date) => lot.expiresAt !== null && lot.expiresAt.getTime() <= now.getTime();

/**
 * Which lots pay `amount`, in FIFO order; lots of the preferred source go first (a refund takes back the order's own
 * points before touching others). Takes at most what the lots hold.
 */
export function planConsumption(lots: OpenLot[], amount: number, prefer?: { sourceType: string; sourceId: string | null }): Array<{ entryId: number; take: number }> {
  const ordered = prefer
    ? [...lots.filter((l) => matches(l, prefer)), ...lots.filter((l) => !matches(l, prefer))]
    : lots;
  const plan: Array<{ entryId: number; take: number }> = [];
  let left = amount;
  for (const lot of ordered) {
    if (left <= 0) break;
    const take = Math.min(lot.remaining, left);
    if (take > 0) plan.push({ entryId: lot.entryId, take });
    left -= take;
  }
  return plan;
}

const matches = (lot: OpenLot, prefer: { sourceType: string; sourceId: string | null }) =>
  lot.sourceType === prefer.sourceType && lot.sourceId === prefer.sourceId;

/** Takes the planned points out of their lots in one statement. */
export async function consumeLots(trx: Trx, workspaceId: string, plan: Array<{ entryId: number; take: number }>): Promise<void> {
  if (plan.length === 0) return;
  const values = sql.join(plan.map((p) => sql`(${p.entryId}::bigint, ${p.take}::bigint)`));
  await sql`
    UPDATE points_lots AS l SET remaining = l.remaining - v.take
    FROM (VALUES ${values}) AS v(entry_id, take)
    WHERE l.workspace_id = ${workspaceId} AND l.entry_id = v.entry_id
  `.execute(trx);
}

/** Gives points back to lots (identity re-shapes only): newest consumed lots first, never above their size. */
export async function refillLots(trx: Trx, workspaceId: string, profileId: number, amount: number, now: Date): Promise<number> {
  const rows = await trx
    .selectFrom('points_lots')
    .select(['entry_id', 'points', 'remaining'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .whereRef('remaining', '<', 'points')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('entry_id', 'desc')
    .execute();
  const plan: Array<{ entryId: number; take: number }> = [];
  let left = amount;
  for (const row of rows) {
    if (left <= 0) break;
    const give = Math.min(row.points - row.remaining, left);
    plan.push({ entryId: row.entry_id, take: -give });
    left -= give;
  }
  await consumeLots(trx, workspaceId, plan);
  return amount - left;
}
