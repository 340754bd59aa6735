import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { BatchLedger, type BatchPending } from './batch-ledger.js';
import { pointsMultipliersOf } from './benefits.js';
import { openLotsOf } from './lots.js';
import { eligibleAmount, pointsFor, type OrderSettlement, type ParsedOrder } from './order-points.js';
import { expiryFor } from './settings.js';
import { workspaceZone } from './local-dates.js';
import { applyTierUpgrades } from './tier-upgrades.js';
import { writeBatch, type GrantRow } from './batch-write.js';
import type { LoyaltySettings } from './schema.js';

type Trx = Transaction<DB>;

/**
 * Settles the points of a batch of orders (distinct ids) in one transaction with a fixed number of statements,
 * whatever the batch size: the accounts of every profile involved are locked in profile-id order (one statement),
 * the orders' grants read FOR UPDATE, tier multipliers, pending rows, open lots and used idempotency keys read
 * set-based; the ledger is played in memory (batch-ledger.ts, the same rules as one order at a time, orders applied
 * by payment time then id) and written in multi-row statements (batch-write.ts). Tier upgrades of the profiles whose
 * points moved follow in a second transaction, as after a single credit. A replayed batch changes nothing: each
 * order's grant says what it earned, and every write carries the order's idempotency key.
 *
 * The rate of a newly paid order uses the tier its member holds when the batch starts (one order at a time, an
 * earlier order of the batch could have upgraded the member first).
 */
export async function settleOrderBatch(db: Db, workspaceId: string, orders: ParsedOrder[], settings: LoyaltySettings, now: Date): Promise<OrderSettlement[]> {
  if (orders.length === 0) return [];
  const seen = new Set<string>();
  const again = orders.filter((o) => seen.has(o.orderId) || !seen.add(o.orderId));
  if (again.length) {
    // The same order twice: its snapshots apply one after the other, as separate batches.
    const first = orders.filter((o) => !again.includes(o));
    return [...(await settleOrderBatch(db, workspaceId, first, settings, now)), ...(await settleOrderBatch(db, workspaceId, again, settings, now))];
  }
  const settled = await retryOnDeadlock(() => db.transaction().execute((trx) => settleInTransaction(trx, workspaceId, orders, settings, now)));
  const moved = settled.filter((s) => s.granted > 0 || s.reversed > 0).map((s) => s.profileId);
  await applyTierUpgrades(db, workspaceId, moved, settings, now);
  return settled.map(({ profileId: _, ...s }) => s);
}

interface Plan {
  order: ParsedOrder;
  grant: GrantRow;
  fresh: boolean;
  result: OrderSettlement & { profileId: number };
}

async function settleInTransaction(trx: Trx, ws: string, orders: ParsedOrder[], settings: LoyaltySettings, now: Date) {
  const earning = settings.orderEarning;
  const orderIds = orders.map((o) => o.orderId);
  const accounts = await lockAccounts(trx, ws, orders.map((o) => o.profileId), orderIds);
  const grants = await trx.selectFrom('points_order_grants').selectAll().where('workspace_id', '=', ws).where('order_id', '=', sql<string>`ANY(${orderIds}::text[])`).forUpdate().execute();
  // A merge may have moved a grant between the two statements: lock its new account too (rare).
  const unlocked = grants.map((g) => g.profile_id).filter((p) => !accounts.has(p));
  if (unlocked.length) for (const [p, a] of await lockAccounts(trx, ws, unlocked, [])) accounts.set(p, a);
  const grantOf = new Map(grants.map((g) => [g.order_id, g]));
  const earns = (o: ParsedOrder) => !grantOf.has(o.orderId) && (o.status === 'paid' || o.status === 'partially_refunded');
  const multipliers = await pointsMultipliersOf(trx, ws, orders.filter(earns).map((o) => o.profileId));

  const plans: Plan[] = [];
  for (const order of orders) {
    const result = { orderId: order.orderId, profileId: order.profileId, targetPoints: 0, granted: 0, reversed: 0, pending: false };
    const stored = grantOf.get(order.orderId);
    let grant: GrantRow;
    if (stored) {
      grant = { orderId: stored.order_id, profileId: stored.profile_id, rate: Number(stored.rate), eligibleAmount: Number(stored.eligible_amount), grantedPoints: Number(stored.granted_points) };
    } else if (earns(order)) {
      const eligible = eligibleAmount(order, earning, false);
      const rate = earning.pointsPerYuan * (multipliers.get(order.profileId) ?? 1);
      const points = pointsFor(eligible, rate, earning.maxPointsPerOrder);
      grant = { orderId: order.orderId, profileId: order.profileId, rate: round4(rate), eligibleAmount: eligible, grantedPoints: points };
      result.granted = points;
      result.pending = points > 0 && earning.pendingDays > 0;
    } else {
      plans.push({ order, grant: { orderId: order.orderId, profileId: order.profileId, rate: 0, eligibleAmount: 0, grantedPoints: 0 }, fresh: false, result });
      continue;
    }
    // The target of the current state, from the rate and amount fixed at first sight.
    const original = pointsFor(grant.eligibleAmount, grant.rate, earning.maxPointsPerOrder);
    const eligibleNow = eligibleAmount(order, earning, true);
    result.targetPoints = grant.eligibleAmount > 0 ? Math.min(grant.grantedPoints, Math.floor((original * eligibleNow) / grant.eligibleAmount)) : 0;
    result.reversed = grant.grantedPoints - result.targetPoints;
    result.profileId = grant.profileId;
    plans.push({ order, grant, fresh: !stored, result });
  }

  const cuts = plans.filter((p) => p.result.reversed > 0);
  const cutIds = cuts.map((p) => p.order.orderId);
  const keys = plans.flatMap((p) => [
    ...(p.fresh && p.grant.grantedPoints > 0 ? [`order:${p.order.orderId}`] : []),
    ...(p.result.reversed > 0 ? [`order:${p.order.orderId}:to:${p.result.targetPoints}`] : []),
  ]);
  const ledger = new BatchLedger(now, await usedKeys(trx, ws, keys));
  const zone = await workspaceZone(trx, ws);
  for (const [p, a] of accounts) ledger.setAccount(p, a);
  if (cuts.length) {
    const pending = await trx.selectFrom('points_pending').select(['id', 'profile_id', 'points', 'source_type', 'source_id']).where('workspace_id', '=', ws)
      .where('source_type', '=', 'order').where('source_id', '=', sql<string>`ANY(${cutIds}::text[])`).where('status', '=', 'pending').forUpdate().execute();
    ledger.addStoredPending(pending.map((r): BatchPending => ({ id: r.id, profileId: r.profile_id, points: Number(r.points), status: 'pending', sourceType: r.source_type, sourceId: r.source_id })));
    for (const [p, lots] of await openLotsOf(trx, ws, [...new Set(cuts.map((c) => c.grant.profileId))])) ledger.setLots(p, lots);
  }

  // Orders of one profile in payment order, so "later earns pay debt first" means what it says.
  const sequence = [...plans].sort((a, b) => (a.order.paidAt?.getTime() ?? 0) - (b.order.paidAt?.getTime() ?? 0) || (a.order.orderId < b.order.orderId ? -1 : 1));
  for (const { order, grant, fresh, result } of sequence) {
    if (fresh && grant.grantedPoints > 0) {
      const paidAt = order.paidAt ?? now;
      const base = { profileId: grant.profileId, points: grant.grantedPoints, reason: `order ${order.orderId}`, sourceType: 'order', sourceId: order.orderId, key: `order:${order.orderId}` };
      if (earning.pendingDays > 0) ledger.addPending({ ...base, availableAt: new Date(paidAt.getTime() + earning.pendingDays * 86_400_000) });
      else ledger.credit({ ...base, kind: 'earn', expiresAt: expiryFor(settings, paidAt, zone) });
    }
    const cut = result.reversed;
    if (cut <= 0) continue;
    const fromPending = ledger.reducePending(grant.profileId, { type: 'order', id: order.orderId }, cut);
    if (cut - fromPending > 0) {
      ledger.reverse({ profileId: grant.profileId, points: cut - fromPending, reason: `refund of order ${order.orderId}`, sourceType: 'order', sourceId: order.orderId, key: `order:${order.orderId}:to:${result.targetPoints}` });
    }
  }
  const grantRows = plans.filter((p) => p.fresh || p.result.reversed > 0).map((p) => ({ ...p.grant, grantedPoints: p.result.targetPoints }));
  await writeBatch(trx, ws, ledger, grantRows, now);
  return plans.map((p) => p.result);
}

/** Upserts and locks the accounts of the profiles and of the orders' grants, in profile-id order (one statement). */
async function lockAccounts(trx: Trx, ws: string, profileIds: number[], orderIds: string[]) {
  const { rows } = await sql<{ profile_id: number; balance: number; debt: number; pending: number }>`
    INSERT INTO points_accounts (workspace_id, profile_id)
    SELECT ${ws}, p FROM (
      SELECT unnest(${[...new Set(profileIds)]}::bigint[]) AS p
      UNION SELECT profile_id FROM points_order_grants WHERE workspace_id = ${ws} AND order_id = ANY(${orderIds}::text[])
    ) ids ORDER BY p
    ON CONFLICT (workspace_id, profile_id) DO UPDATE SET updated_at = now()
    RETURNING profile_id, balance, debt, pending`.execute(trx);
  return new Map(rows.map((r) => [Number(r.profile_id), { balance: Number(r.balance), debt: Number(r.debt), pending: Number(r.pending) }]));
}

/** Which of the keys the ledger (entries) and the pending points already hold. */
async function usedKeys(trx: Trx, ws: string, keys: string[]) {
  const used = { entries: new Set<string>(), pending: new Set<string>() };
  if (keys.length === 0) return used;
  const { rows } = await sql<{ key: string; pending: boolean }>`
    SELECT idempotency_key AS key, false AS pending FROM points_entries WHERE workspace_id = ${ws} AND idempotency_key = ANY(${keys}::text[])
    UNION ALL SELECT idempotency_key, true FROM points_pending WHERE workspace_id = ${ws} AND idempotency_key = ANY(${keys}::text[])`.execute(trx);
  for (const r of rows) (r.pending ? used.pending : used.entries).add(r.key);
  return used;
}

/** Batches lock many accounts in one order, but another writer (a merge) may not: a deadlock is retried once. */
async function retryOnDeadlock<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code === '40P01') return fn();
    throw err;
  }
}

const round4 = (n: number) => Math.round(n * 10_000) / 10_000;
