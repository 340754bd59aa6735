import type { GrantRow } from './batch-write.js';
import { eligibleAmount, pointsFor, type OrderSettlement, type ParsedOrder } from './order-points.js';
import type { LoyaltySettings } from './schema.js';

/**
 * What settling one order does to its points, decided from its current state and its stored grant (no I/O; the
 * batch plays the steps on its in-memory ledger, order-batch.ts).
 *
 * The grant fixes, at first sight of the paid order, the rate (points per eligible yuan × the member's tier
 * multiplier) and the eligible amount E (before refunds). The order's target is what E earns at that rate less the
 * refunded share: `floor(pointsFor(E, rate) × eligibleNow / eligibleFull)`, both amounts by today's exclusions (0
 * when refunded or cancelled). Then:
 *
 * - **Refunds** (the same order amounts, fewer eligible yuan left): the target only goes down, so a snapshot that
 *   arrives late (the paid one after its refund) never gives refunded points back. Refunds only grow in the orders
 *   module too, so the stored row always converges.
 * - **A corrected order** (its amounts or lines changed, `basisOf`: an item added or taken off, a new price): E
 *   becomes the corrected amount and the target follows it up or down; the difference is earned (or reversed) at
 *   the rate fixed at first payment, whatever the brand's rate or the member's tier is by then — a correction is
 *   the same purchase, not a new one (which lines earn is today's exclusions, as for any eligible amount).
 * - **Another customer** (the stored order's profile is not the grant's, e.g. a wrong customer corrected): the
 *   holder's points come off (pending first, then the ledger; spent ones become debt) and the new customer earns the
 *   target, at the rate of the new customer's tier now (the multiplier was the first customer's). The grant then
 *   belongs to the new profile (as its origin, for later merges). Merges do not look like this: they move the
 *   order rows and the grants together (remap.ts), so both name the same profile.
 *
 * Corrections and changes of customer are taken only from the order's stored row (`current`: POST /api/v1/orders,
 * order import, settle-stored), which the orders module keeps at the latest version (amounts and customer follow
 * the version sent, refunds only grow). A bare snapshot (POST /api/v1/loyalty/orders/settle) carries no version: a
 * late one could be older than the state already settled, so it can only lower the points, as before, and its
 * calls stay order-independent.
 *
 * Idempotency keys: `order:<id>` for the first earn; a step up or a move starts a new revision r (stored in the
 * grant) with `order:<id>:r<r>` (the earn) and `order:<id>:r<r>:moved` (the reversal of the old holder); steps down
 * within a revision are `order:<id>:to:<target>` (revision 0, as before revisions existed) or
 * `order:<id>:r<r>:to:<target>`, unique because the target only falls within a revision.
 */
export interface OrderStep {
  kind: 'add' | 'cut';
  profileId: number;
  points: number;
  reason: string;
  key: string;
}

export interface OrderPlan {
  order: ParsedOrder;
  /** The grant as it stands after settling (null: nothing to store, the order never earned). */
  grant: (GrantRow & { revision: number }) | null;
  /** Whether the grant row must be written. */
  changed: boolean;
  steps: OrderStep[];
  result: OrderSettlement & { profiles: number[] };
}

export interface StoredGrant extends GrantRow {
  revision: number;
}

const SAME_AMOUNT = 0.005;

/**
 * What makes a version of an order a correction: its amounts and lines, not its refunds or status (refunds only lower
 * the target) and not its eligible amount, which also moves when the brand changes its exclusions (that must not
 * re-price every old order the next time it is settled).
 */
export function basisOf(order: ParsedOrder): string {
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return JSON.stringify([r2(order.paidAmount), r2(order.shippingAmount), order.items.map((i) => [i.sku, i.category ?? null, r2(i.price), i.quantity])]);
}
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

/** `current`: the order is its stored row (the latest version); a bare snapshot may be stale, so it can only lower. */
export function planOrder(order: ParsedOrder, stored: StoredGrant | undefined, settings: LoyaltySettings, multiplierOf: (profileId: number) => number, current: boolean): OrderPlan {
  const earning = settings.orderEarning;
  const id = order.orderId;
  const result = { orderId: id, targetPoints: 0, granted: 0, reversed: 0, pending: false, profiles: [order.profileId] };
  const eligibleNow = eligibleAmount(order, earning, true);
  const eligibleFull = eligibleAmount(order, earning, false);
  // What an amount earns, less the refunded share. The share is taken from today's eligible amounts before and
  // after refunds, so a change of exclusions since the grant does not read as a refund either.
  const targetOf = (eligible: number, rate: number) => {
    const original = pointsFor(eligible, rate, earning.maxPointsPerOrder);
    if (eligible <= 0) return 0;
    if (eligibleFull <= 0) return order.status === 'refunded' || order.status === 'cancelled' ? 0 : original;
    return Math.min(original, Math.floor((original * eligibleNow) / eligibleFull));
  };
  const pending = earning.pendingDays > 0;

  if (!stored) {
    if (order.status !== 'paid' && order.status !== 'partially_refunded') return { order, grant: null, changed: false, steps: [], result };
    const rate = round4(earning.pointsPerYuan * multiplierOf(order.profileId));
    const points = pointsFor(eligibleFull, rate, earning.maxPointsPerOrder);
    const target = targetOf(eligibleFull, rate);
    const steps: OrderStep[] = [];
    if (points > 0) steps.push({ kind: 'add', profileId: order.profileId, points, reason: `order ${id}`, key: `order:${id}` });
    // Partially refunded at first sight: earned, then the refunded share reversed (as two later snapshots would).
    if (points > target) steps.push({ kind: 'cut', profileId: order.profileId, points: points - target, reason: `refund of order ${id}`, key: `order:${id}:to:${target}` });
    Object.assign(result, { targetPoints: target, granted: points, reversed: points - target, pending: points > 0 && pending });
    const grant = { orderId: id, profileId: order.profileId, rate, eligibleAmount: eligibleFull, grantedPoints: target, revision: 0, basis: basisOf(order) };
    return { order, grant, changed: true, steps, result };
  }

  const basis = basisOf(order);
  const moved = current && stored.profileId !== order.profileId;
  // Grants settled before bases were kept: their eligible amount decides, once.
  const corrected = current && (stored.basis !== null ? stored.basis !== basis : Math.abs(eligibleFull - stored.eligibleAmount) > SAME_AMOUNT);
  const rate = moved ? round4(earning.pointsPerYuan * multiplierOf(order.profileId)) : stored.rate;
  const base = corrected || moved ? eligibleFull : stored.eligibleAmount;
  let target = targetOf(base, rate);
  if (!corrected && !moved) target = Math.min(target, stored.grantedPoints); // refunds only grow
  const grant = { ...stored, profileId: order.profileId, rate, eligibleAmount: base, grantedPoints: target, basis: current ? basis : stored.basis };
  const steps: OrderStep[] = [];
  result.targetPoints = target;
  result.profiles = moved ? [stored.profileId, order.profileId] : [stored.profileId];
  if (!moved) grant.profileId = stored.profileId; // a snapshot naming another profile does not move the order
  if (moved || target > stored.grantedPoints) {
    grant.revision = stored.revision + 1;
    const r = `order:${id}:r${grant.revision}`;
    if (moved && stored.grantedPoints > 0) {
      steps.push({ kind: 'cut', profileId: stored.profileId, points: stored.grantedPoints, reason: `order ${id} moved to another customer`, key: `${r}:moved` });
    }
    const add = moved ? target : target - stored.grantedPoints;
    if (add > 0) steps.push({ kind: 'add', profileId: order.profileId, points: add, reason: moved ? `order ${id} (moved from another customer)` : `order ${id} corrected`, key: r });
    Object.assign(result, { granted: add, reversed: moved ? stored.grantedPoints : 0, pending: add > 0 && pending });
  } else if (target < stored.grantedPoints) {
    const key = stored.revision === 0 ? `order:${id}:to:${target}` : `order:${id}:r${stored.revision}:to:${target}`;
    const cut = stored.grantedPoints - target;
    steps.push({ kind: 'cut', profileId: stored.profileId, points: cut, reason: corrected ? `order ${id} corrected` : `refund of order ${id}`, key });
    result.reversed = cut;
  }
  const changed = moved || corrected || target !== stored.grantedPoints || grant.basis !== stored.basis;
  return { order, grant, changed, steps, result };
}
