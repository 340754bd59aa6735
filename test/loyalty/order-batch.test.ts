import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import type { Db } from '../../src/platform/db/database.js';
import { earnPoints, getLoyaltySettings, redeemPoints, settleOrderPoints, updateLoyaltySettings, type OrderSnapshot } from '../../src/modules/loyalty/index.js';
import { settleOrderBatch } from '../../src/modules/loyalty/order-batch.js';
import { OrderForPoints } from '../../src/modules/loyalty/schema.js';
import { upsertOrders, refundOrder } from '../../src/modules/orders/index.js';
import { wireModules } from '../../src/modules/wiring.js';
import { expectLedgerConsistent, newProfileId } from './helpers.js';
import { settleOneOrder } from './reference-settle.js';

const DAY = 86_400_000;

/** Everything settlement writes, with ids left out (they differ between two workspaces) so two runs compare. */
async function ledgerState(db: Db, ws: string, profiles: number[]) {
  const rename = new Map(profiles.map((p, i) => [p, `P${i}`]));
  const name = (p: number) => rename.get(Number(p)) ?? String(p);
  const noIds = (s: string | null) => s?.replace(/(lot|entry):\d+/g, '$1:#') ?? null;
  const entries = await sql<{ profile_id: number; kind: string; points: number; debt_delta: number; source_id: string | null; idempotency_key: string | null }>`
    SELECT profile_id, kind, points, debt_delta, source_id, idempotency_key FROM points_entries WHERE workspace_id = ${ws} ORDER BY id`.execute(db);
  const lots = await sql<{ profile_id: number; points: number; remaining: number; source_id: string | null }>`
    SELECT profile_id, points, remaining, source_id FROM points_lots WHERE workspace_id = ${ws} ORDER BY entry_id`.execute(db);
  const accounts = await sql<{ profile_id: number; balance: number; debt: number; pending: number; lifetime_earned: number }>`
    SELECT profile_id, balance, debt, pending, lifetime_earned FROM points_accounts WHERE workspace_id = ${ws} ORDER BY profile_id`.execute(db);
  const pending = await sql<{ profile_id: number; points: number; status: string; idempotency_key: string }>`
    SELECT profile_id, points, status, idempotency_key FROM points_pending WHERE workspace_id = ${ws} ORDER BY id`.execute(db);
  const grants = await sql<{ order_id: string; granted_points: number }>`
    SELECT order_id, granted_points FROM points_order_grants WHERE workspace_id = ${ws} ORDER BY order_id`.execute(db);
  return {
    entries: entries.rows.map((e) => `${name(e.profile_id)} ${e.kind} ${e.points} debt${e.debt_delta} ${noIds(e.source_id)} ${noIds(e.idempotency_key)}`),
    lots: lots.rows.map((l) => `${name(l.profile_id)} ${l.points}/${l.remaining} ${l.source_id}`),
    accounts: accounts.rows.map((a) => ({ ...a, profile_id: name(a.profile_id) })),
    pending: pending.rows.map((p) => `${name(p.profile_id)} ${p.points} ${p.status} ${p.idempotency_key}`),
    grants: grants.rows.map((g) => `${g.order_id}=${g.granted_points}`),
  };
}

describeEachDatabase('order points settled in batches', (ctx) => {
  it('a batch (new orders, partial refunds, a replay, two orders of one profile, debt, pending, expiry) writes what one order at a time writes, and a second settle changes nothing', async () => {
    const db = ctx.database.db;
    const [p1, p2, p3, p4] = [newProfileId(), newProfileId(), newProfileId(), newProfileId()];
    const t0 = Date.now() - 30 * DAY;
    const at = (days: number) => new Date(t0 + days * DAY);
    const batchNow = new Date(Date.now() + 10 * DAY);

    // The same history in two workspaces: one settles through the reference (the one-at-a-time ledger functions),
    // the other through the batch (settleOrderPoints is a batch of one).
    const prepare = async (settle: (ws: string, o: OrderSnapshot) => Promise<unknown>) => {
      const ws = await newWorkspace(ctx.database);
      await updateLoyaltySettings(db, ws.id, { orderEarning: { pointsPerYuan: 1, pendingDays: 7 } });
      await settle(ws.id, { orderId: 'pend-1', profileId: p2, status: 'paid', paidAmount: 200, paidAt: at(0) });
      await updateLoyaltySettings(db, ws.id, { orderEarning: { pointsPerYuan: 1, pendingDays: 0 } });
      await settle(ws.id, { orderId: 'a-1', profileId: p1, status: 'paid', paidAmount: 300, paidAt: at(1) });
      await redeemPoints(db, ws.id, { profileId: p1, points: 250, reason: 'spend' });
      await earnPoints(db, ws.id, { profileId: p1, points: 20, reason: 'bonus', expiresAt: new Date(Date.now() + DAY) }); // expired at batchNow
      await settle(ws.id, { orderId: 'c-1', profileId: p3, status: 'paid', paidAmount: 100, paidAt: at(2) });
      return ws.id;
    };
    const batch: Array<OrderSnapshot & { paidAt?: Date }> = [
      // P1: two thirds of a-1 refunded after 250 of its 300 points were spent: the expired bonus lot expires, 50 come back, 150 are debt …
      { orderId: 'a-1', profileId: p1, status: 'partially_refunded', paidAmount: 300, refundedAmount: 200, paidAt: at(1) },
      // … which the next two orders of P1 pay first; a-3 is partially refunded at first sight.
      { orderId: 'a-2', profileId: p1, status: 'paid', paidAmount: 100, paidAt: at(3) },
      { orderId: 'a-3', profileId: p1, status: 'partially_refunded', paidAmount: 80, refundedAmount: 30, paidAt: at(4) },
      // P2: a refund inside the pending window shrinks the pending points only.
      { orderId: 'pend-1', profileId: p2, status: 'partially_refunded', paidAmount: 200, refundedAmount: 50, paidAt: at(0) },
      // P3: a replay of a settled order.
      { orderId: 'c-1', profileId: p3, status: 'paid', paidAmount: 100, paidAt: at(2) },
      // P4: a new order with items (one excluded by nothing, shipping excluded) and an order that was never paid.
      { orderId: 'd-1', profileId: p4, status: 'paid', paidAmount: 69.9, shippingAmount: 10, paidAt: at(5), items: [{ sku: 'X', price: 29.95, quantity: 2 }] },
      { orderId: 'd-2', profileId: p4, status: 'cancelled', paidAmount: 0 },
    ];
    const profiles = [p1, p2, p3, p4];

    const one = await prepare((ws, o) => settleOneOrder(db, ws, o, new Date()));
    const oneAtATime = [];
    const sequence = [...batch].sort((a, b) => (a.paidAt?.getTime() ?? 0) - (b.paidAt?.getTime() ?? 0) || (a.orderId < b.orderId ? -1 : 1));
    for (const o of sequence) oneAtATime.push(await settleOneOrder(db, one, o, batchNow));

    const many = await prepare((ws, o) => settleOrderPoints(db, ws, o));
    const settings = await getLoyaltySettings(db, many);
    const parsed = batch.map((o) => OrderForPoints.parse(o));
    const settled = await settleOrderBatch(db, many, parsed, settings, batchNow);

    const byId = <T extends { orderId: string }>(r: T[]) => [...r].sort((a, b) => (a.orderId < b.orderId ? -1 : 1));
    expect(byId(settled)).toEqual(byId(oneAtATime));
    expect(byId(settled).map((s) => `${s.orderId}:${s.granted}-${s.reversed}=${s.targetPoints}`)).toEqual([
      'a-1:0-200=100', 'a-2:100-0=100', 'a-3:80-30=50', 'c-1:0-0=100', 'd-1:59-0=59', 'd-2:0-0=0', 'pend-1:0-50=150',
    ]);
    const state = await ledgerState(db, many, profiles);
    expect(state).toEqual(await ledgerState(db, one, profiles));
    for (const p of profiles) await expectLedgerConsistent(db, many, p);
    expect(state.accounts.find((a) => a.profile_id === 'P0')).toMatchObject({ balance: 0, debt: 0 });
    expect(state.entries.filter((e) => e.startsWith('P0 expire'))).toEqual(['P0 expire -20 debt0 lot:# expire:lot:#:20']);
    expect(state.entries.filter((e) => e.includes('#debt'))).toEqual(['P0 reverse -100 debt-100 entry:# order:a-2#debt', 'P0 reverse -50 debt-50 entry:# order:a-3#debt']);
    expect(state.pending).toEqual(['P1 150 pending order:pend-1']);

    // Settling the same batch again changes nothing.
    const again = await settleOrderBatch(db, many, parsed, settings, batchNow);
    expect(again.every((s) => s.granted === 0 && s.reversed === 0)).toBe(true);
    expect(await ledgerState(db, many, profiles)).toEqual(state);
  });

  it('the orders hook settles a request of many orders as one batch; refunds and a re-sent request converge', async () => {
    wireModules();
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const order = (id: string, user: string, amount: number) => ({
      orderId: id, customer: { userId: user }, totalAmount: amount, items: [{ sku: 'A', quantity: 2, price: amount / 2 }], orderedAt: new Date(Date.now() - 60_000).toISOString(),
    });
    const orders = [order('H-1', 'hook-a', 100), order('H-2', 'hook-a', 60), order('H-3', 'hook-b', 40)];
    const written = await upsertOrders(db, ws.id, orders);
    const [a, , b] = written.map((r) => r.profileId!);
    expect(a).not.toBe(b);
    expect(await expectLedgerConsistent(db, ws.id, a!)).toMatchObject({ balance: 160, debt: 0 });
    expect(await expectLedgerConsistent(db, ws.id, b!)).toMatchObject({ balance: 40, debt: 0 });
    await redeemPoints(db, ws.id, { profileId: a!, points: 150, reason: 'spend' });
    await refundOrder(db, ws.id, 'H-1', { refundId: 'r1', amount: 50, items: [{ sku: 'A', quantity: 1 }] });
    expect(await expectLedgerConsistent(db, ws.id, a!)).toMatchObject({ balance: 0, debt: 40 });
    const before = await ledgerState(db, ws.id, [a!, b!]);
    await upsertOrders(db, ws.id, orders.slice(1)); // unchanged orders: nothing to settle
    const { settlePointsForOrders } = await import('../../src/modules/loyalty/index.js');
    const replay = await settlePointsForOrders(db, ws.id, ['H-1', 'H-2', 'H-3', 'missing']);
    expect(replay.map((r) => r.reversed + r.granted)).toEqual([0, 0, 0]);
    expect(await ledgerState(db, ws.id, [a!, b!])).toEqual(before);
  });
});
