import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { BatchLedger, type BatchPending } from './batch-ledger.js';
import { pointsMultipliersOf } from './benefits.js';
import { openLotsOf } from './lots.js';
import type { OrderSettlement, ParsedOrder } from './order-points.js';
import { planOrder, type StoredGrant } from './order-plan.js';
import { expiryFor } from './settings.js';
import { workspaceZone } from './local-dates.js';
import { applyTierUpgrades } from './tier-upgrades.js';
import { writeBatch } from './batch-write.js';
import type { LoyaltySettings } from './schema.js';

type Trx = Transaction<DB>;

/**
 * Settles the points of a batch of orders (distinct ids) in one transaction with a fixed number of statements,
 * whatever the batch size: the orders' grants locked in order-id order (new ones as placeholders, claimNewGrants),
 * then the accounts of every profile involved in profile-id order (one statement), tier multipliers, pending rows, open lots and used idempotency keys read
 * set-based; the ledger is played in memory (batch-ledger.ts, the same rules as one order at a time, orders applied
 * by payment time then id; what each order does is planned by order-plan.ts) and written in multi-row statements
 * (batch-write.ts). Tier upgrades of the profiles whose
 * points moved follow in a second transaction, as after a single credit. A replayed batch changes nothing: each
 * order's grant says what it earned, and every write carries the order's idempotency key.
 *
 * The rate of a newly paid order uses the tier its member holds when the batch starts (one order at a time, an
 * earlier order of the batch could have upgraded the member first).
 *
 * `stored` reads the orders' current rows (the orders module's tables) again once their grants are locked: then the
 * batch follows corrections and changes of customer (order-plan.ts), and since the rows are read after the lock,
 * the settlement that commits last has read the latest version, whatever order concurrent settlements run in.
 * Without it the orders are bare snapshots, which carry no version, so they can only lower an order's points.
 */
export async function settleOrderBatch(db: Db, workspaceId: string, orders: ParsedOrder[], settings: LoyaltySettings, now: Date, stored?: StoredOrders): Promise<OrderSettlement[]> {
  if (orders.length === 0) return [];
  const seen = new Set<string>();
  const again = orders.filter((o) => seen.has(o.orderId) || !seen.add(o.orderId));
  if (again.length) {
    // The same order twice: its snapshots apply one after the other, as separate batches.
    const first = orders.filter((o) => !again.includes(o));
    return [...(await settleOrderBatch(db, workspaceId, first, settings, now, stored)), ...(await settleOrderBatch(db, workspaceId, again, settings, now, stored))];
  }
  const settled = await retryOnDeadlock(() => db.transaction().execute((trx) => settleInTransaction(trx, workspaceId, orders, settings, now, stored)));
  const moved = [...new Set(settled.filter((s) => s.granted > 0 || s.reversed > 0).flatMap((s) => s.profiles))];
  await applyTierUpgrades(db, workspaceId, moved, settings, now);
  return settled.map(({ profiles: _, ...s }) => s);
}

/** Reads orders' current rows as snapshots (orders without a profile left out). */
export type StoredOrders = (trx: Trx, workspaceId: string, orderIds: string[]) => Promise<ParsedOrder[]>;

async function settleInTransaction(trx: Trx, ws: string, given: ParsedOrder[], settings: LoyaltySettings, now: Date, stored: StoredOrders | undefined) {
  const earning = settings.orderEarning;
  const orderIds = given.map((o) => o.orderId);
  // The orders first (their grants, in order-id order), then the accounts: a second settlement of an order waits
  // before it holds any account, and a merge (remap.ts) also moves grants before it locks accounts.
  const claimed = await claimNewGrants(trx, ws, given);
  const grants = (await trx.selectFrom('points_order_grants').selectAll().where('workspace_id', '=', ws).where('order_id', '=', sql<string>`ANY(${orderIds}::text[])`)
    .orderBy('order_id').forUpdate().execute()).filter((g) => !claimed.has(g.order_id));
  const orders = stored ? await stored(trx, ws, orderIds) : given;
  const accounts = await lockAccounts(trx, ws, [...orders.map((o) => o.profileId), ...grants.map((g) => Number(g.profile_id))]);
  const grantOf = new Map(grants.map((g): [string, StoredGrant] => [g.order_id, {
    orderId: g.order_id, profileId: Number(g.profile_id), rate: Number(g.rate), eligibleAmount: Number(g.eligible_amount), grantedPoints: Number(g.granted_points), revision: g.revision, basis: g.basis,
  }]));
  // A rate is fixed for a newly paid order, or for the new customer of an order that changed hands.
  const rated = orders.filter((o) => grantOf.get(o.orderId)?.profileId !== o.profileId).map((o) => o.profileId);
  const multipliers = await pointsMultipliersOf(trx, ws, rated);
  const plans = orders.map((o) => planOrder(o, grantOf.get(o.orderId), settings, (p) => multipliers.get(p) ?? 1, stored !== undefined));

  const steps = plans.flatMap((p) => p.steps);
  const cuts = steps.filter((s) => s.kind === 'cut');
  const cutIds = [...new Set(plans.filter((p) => p.steps.some((s) => s.kind === 'cut')).map((p) => p.order.orderId))];
  const ledger = new BatchLedger(now, await usedKeys(trx, ws, steps.map((s) => s.key)));
  const zone = await workspaceZone(trx, ws);
  for (const [p, a] of accounts) ledger.setAccount(p, a);
  if (cuts.length) {
    const pending = await trx.selectFrom('points_pending').select(['id', 'profile_id', 'points', 'source_type', 'source_id']).where('workspace_id', '=', ws)
      .where('source_type', '=', 'order').where('source_id', '=', sql<string>`ANY(${cutIds}::text[])`).where('status', '=', 'pending').forUpdate().execute();
    ledger.addStoredPending(pending.map((r): BatchPending => ({ id: r.id, profileId: r.profile_id, points: Number(r.points), status: 'pending', sourceType: r.source_type, sourceId: r.source_id })));
    for (const [p, lots] of await openLotsOf(trx, ws, [...new Set(cuts.map((c) => c.profileId))])) ledger.setLots(p, lots);
  }

  // Orders of one profile in payment order, so "later earns pay debt first" means what it says.
  const sequence = [...plans].sort((a, b) => (a.order.paidAt?.getTime() ?? 0) - (b.order.paidAt?.getTime() ?? 0) || (a.order.orderId < b.order.orderId ? -1 : 1));
  for (const { order, steps: orderSteps } of sequence) {
    const source = { sourceType: 'order', sourceId: order.orderId };
    for (const step of orderSteps) {
      if (step.kind === 'add') {
        // Points added later (a correction, a new customer) wait out the same window and expire as the order's own.
        const paidAt = order.paidAt ?? now;
        const base = { ...source, profileId: step.profileId, points: step.points, reason: step.reason, key: step.key };
        if (earning.pendingDays > 0) ledger.addPending({ ...base, availableAt: new Date(paidAt.getTime() + earning.pendingDays * 86_400_000) });
        else ledger.credit({ ...base, kind: 'earn', expiresAt: expiryFor(settings, paidAt, zone) });
        continue;
      }
      const fromPending = ledger.reducePending(step.profileId, { type: 'order', id: order.orderId }, step.points);
      if (step.points - fromPending > 0) ledger.reverse({ ...source, profileId: step.profileId, points: step.points - fromPending, reason: step.reason, key: step.key });
    }
  }
  const grantRows = plans.filter((p) => p.changed && p.grant).map((p) => p.grant!);
  await writeBatch(trx, ws, ledger, grantRows, now);
  // Placeholders of orders that earned nothing go again (nobody else ever saw them).
  for (const g of grantRows) claimed.delete(g.orderId);
  if (claimed.size) await trx.deleteFrom('points_order_grants').where('workspace_id', '=', ws).where('order_id', '=', sql<string>`ANY(${[...claimed]}::text[])`).execute();
  return plans.map(({ result: { profiles, ...r } }) => ({ ...r, profiles }));
}

/**
 * Serialises settlements of the same order, also before it has a grant: an order without one gets a placeholder row
 * (inserted here, in order-id order, and within this transaction either made the real grant or deleted again), so a
 * second settlement waits on it as it would wait on a stored grant's lock. Without it, two settlements of a newly
 * paid order that had read different customers both planned its first earn: one credited, the other (its key
 * taken) wrote the grant for its own customer, and the next settlement moved points that member never had. Row
 * locks, unlike advisory locks, take no room in the server's shared lock table, whatever the batch size. Returns
 * the orders it placed a placeholder for.
 */
async function claimNewGrants(trx: Trx, ws: string, orders: ParsedOrder[]): Promise<Set<string>> {
  const rows = orders.map((o) => ({ order_id: o.orderId, profile_id: o.profileId }));
  const { rows: claimed } = await sql<{ order_id: string }>`
    INSERT INTO points_order_grants (workspace_id, order_id, profile_id, origin_profile_id, rate, eligible_amount, granted_points)
    SELECT ${ws}, r.order_id, r.profile_id, r.profile_id, 0, 0, 0
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(order_id text, profile_id bigint) ORDER BY r.order_id
    ON CONFLICT (workspace_id, order_id) DO NOTHING
    RETURNING order_id`.execute(trx);
  return new Set(claimed.map((r) => r.order_id));
}

/** Upserts and locks the accounts of the profiles, in profile-id order (one statement). */
async function lockAccounts(trx: Trx, ws: string, profileIds: number[]) {
  const { rows } = await sql<{ profile_id: number; balance: number; debt: number; pending: number }>`
    INSERT INTO points_accounts (workspace_id, profile_id)
    SELECT ${ws}, p FROM unnest(${[...new Set(profileIds)].sort((x, y) => x - y)}::bigint[]) AS p ORDER BY p
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
