import { expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import type { Db } from '../../src/platform/db/database.js';
import { redeemPoints, settleOrderPoints, settlePointsForOrders, updateLoyaltySettings } from '../../src/modules/loyalty/index.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { refundOrder, upsertOrders } from '../../src/modules/orders/index.js';
import { wireModules } from '../../src/modules/wiring.js';
import { expectLedgerConsistent, newProfileId } from './helpers.js';

/**
 * An order's points follow its current state when the shop sends a corrected version: a higher amount earns the
 * difference (at the rate fixed when it was first paid), another customer takes the points over from the first.
 */
const entries = async (db: Db, ws: string) =>
  (await sql<{ profile_id: number; kind: string; points: number; reason: string; idempotency_key: string | null }>`
    SELECT profile_id, kind, points, reason, idempotency_key FROM points_entries WHERE workspace_id = ${ws} ORDER BY id`.execute(db)).rows
    .map((e) => ({ ...e, profile_id: Number(e.profile_id), points: Number(e.points) }));

const order = (id: string, user: string, items: Array<{ sku: string; price: number }>) => ({
  orderId: id, customer: { userId: user }, totalAmount: items.reduce((s, i) => s + i.price, 0),
  items: items.map((i) => ({ ...i, quantity: 1 })), orderedAt: new Date(Date.now() - 60_000).toISOString(),
});

describeEachDatabase('order points follow corrected orders', (ctx) => {
  it('a corrected order with a higher amount earns the difference at the rate fixed at first payment; refunds and replays still converge', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const [first] = await upsertOrders(db, ws.id, [order('UP-1', 'up-a', [{ sku: 'A', price: 100 }])]);
    const p = first!.profileId!;
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 100 });
    // The brand doubles its rate afterwards: the order keeps the rate it was paid at.
    await updateLoyaltySettings(db, ws.id, { orderEarning: { pointsPerYuan: 2 } });
    const corrected = order('UP-1', 'up-a', [{ sku: 'A', price: 100 }, { sku: 'B', price: 50 }]);
    expect((await upsertOrders(db, ws.id, [corrected]))[0]!.outcome).toBe('updated');
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 150 });
    expect((await upsertOrders(db, ws.id, [corrected]))[0]!.outcome).toBe('unchanged');
    expect((await settlePointsForOrders(db, ws.id, ['UP-1']))[0]).toMatchObject({ granted: 0, reversed: 0, targetPoints: 150 });
    // Refund B, then the shop adds C: 100 + 80 left to earn.
    await refundOrder(db, ws.id, 'UP-1', { refundId: 'r1', amount: 50, items: [{ sku: 'B', quantity: 1 }] });
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 100 });
    await upsertOrders(db, ws.id, [order('UP-1', 'up-a', [{ sku: 'A', price: 100 }, { sku: 'B', price: 50 }, { sku: 'C', price: 80 }])]);
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 180 });
    // A correction downward (C taken off again) reverses, and adding it once more earns it again: every step once.
    await upsertOrders(db, ws.id, [order('UP-1', 'up-a', [{ sku: 'A', price: 100 }, { sku: 'B', price: 50 }])]);
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 100 });
    await upsertOrders(db, ws.id, [order('UP-1', 'up-a', [{ sku: 'A', price: 100 }, { sku: 'B', price: 50 }, { sku: 'C', price: 80 }])]);
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 180 });
    const rows = await entries(db, ws.id);
    expect(rows.map((e) => `${e.kind} ${e.points}`)).toEqual(['earn 100', 'earn 50', 'reverse -50', 'earn 80', 'reverse -80', 'earn 80']);
    expect(new Set(rows.map((e) => e.idempotency_key)).size).toBe(rows.length);
    expect(rows[1]!.reason).toMatch(/UP-1/);
    expect((await settlePointsForOrders(db, ws.id, ['UP-1']))[0]).toMatchObject({ granted: 0, reversed: 0, targetPoints: 180 });
    expect(await entries(db, ws.id)).toEqual(rows);
  });

  it('a change of the brand\'s exclusions is not a correction: re-sending an old order keeps its points', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const lines = [{ sku: 'GIFT-CARD', price: 50 }, { sku: 'TEA', price: 50 }];
    const [o] = await upsertOrders(db, ws.id, [order('EX-1', 'ex-a', lines)]);
    const p = o!.profileId!;
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 100 });
    await updateLoyaltySettings(db, ws.id, { orderEarning: { excludedSkus: ['GIFT-CARD'] } });
    await upsertOrders(db, ws.id, [order('EX-1', 'ex-a', lines)]); // unchanged, settled again (the hook runs for it too)
    expect((await settlePointsForOrders(db, ws.id, ['EX-1']))[0]).toMatchObject({ granted: 0, reversed: 0, targetPoints: 100 });
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 100 });
    // A real correction is priced by today's exclusions (the gift card earns nothing now), at the order's own rate.
    await upsertOrders(db, ws.id, [order('EX-1', 'ex-a', [...lines, { sku: 'CUP', price: 50 }])]);
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 100 });
  });

  it('bare snapshots (no version) can only lower an order\'s points, in any order; the stored order then settles its correction', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const [o] = await upsertOrders(db, ws.id, [order('S-1', 'snap-a', [{ sku: 'A', price: 200 }])]);
    const p = o!.profileId!;
    const paidAt = new Date(Date.now() - 60_000);
    // A snapshot naming a higher amount, or another profile, may be older than what was settled: it changes nothing.
    expect(await settleOrderPoints(db, ws.id, { orderId: 'S-1', profileId: p, status: 'paid', paidAmount: 260, paidAt })).toMatchObject({ granted: 0, reversed: 0, targetPoints: 200 });
    expect(await settleOrderPoints(db, ws.id, { orderId: 'S-1', profileId: newProfileId(), status: 'paid', paidAmount: 200, paidAt })).toMatchObject({ granted: 0, reversed: 0 });
    await settleOrderPoints(db, ws.id, { orderId: 'S-1', profileId: p, status: 'partially_refunded', paidAmount: 200, refundedAmount: 50, paidAt });
    // The paid snapshot arriving after its refund (messages out of order): the refund stands.
    expect(await settleOrderPoints(db, ws.id, { orderId: 'S-1', profileId: p, status: 'paid', paidAmount: 200, paidAt })).toMatchObject({ granted: 0, reversed: 0, targetPoints: 150 });
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 150 });
    // The stored order is the current version: its correction (an item added) earns.
    await upsertOrders(db, ws.id, [order('S-1', 'snap-a', [{ sku: 'A', price: 200 }, { sku: 'B', price: 60 }])]);
    expect(await expectLedgerConsistent(db, ws.id, p)).toMatchObject({ balance: 260 });
  });

  it('inside the refund window: added points wait as pending, a move takes the pending points off the first member', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    await updateLoyaltySettings(db, ws.id, { orderEarning: { pointsPerYuan: 1, pendingDays: 7 } });
    const [first] = await upsertOrders(db, ws.id, [order('PW-1', 'pw-a', [{ sku: 'A', price: 100 }])]);
    const a = first!.profileId!;
    await upsertOrders(db, ws.id, [order('PW-1', 'pw-a', [{ sku: 'A', price: 100 }, { sku: 'B', price: 30 }])]);
    expect(await expectLedgerConsistent(db, ws.id, a)).toEqual({ balance: 0, debt: 0, pending: 130 });
    const [moved] = await upsertOrders(db, ws.id, [order('PW-1', 'pw-b', [{ sku: 'A', price: 100 }, { sku: 'B', price: 30 }])]);
    const b = moved!.profileId!;
    await refundOrder(db, ws.id, 'PW-1', { refundId: 'r1', amount: 10 });
    expect(await expectLedgerConsistent(db, ws.id, a)).toEqual({ balance: 0, debt: 0, pending: 0 });
    expect(await expectLedgerConsistent(db, ws.id, b)).toEqual({ balance: 0, debt: 0, pending: 120 });
    const rows = await sql<{ profile_id: number; status: string }>`SELECT profile_id, status FROM points_pending WHERE workspace_id = ${ws.id} ORDER BY id`.execute(db);
    expect(rows.rows.map((r) => `${Number(r.profile_id) === a ? 'a' : 'b'} ${r.status}`)).toEqual(['a cancelled', 'a cancelled', 'b pending']);
    expect(await entries(db, ws.id)).toEqual([]);
  });

  it('an order re-sent with another customer moves its points: reversed from the first member, granted to the second, once', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const [sent] = await upsertOrders(db, ws.id, [order('MV-1', 'mv-wrong', [{ sku: 'A', price: 200 }])]);
    const a = sent!.profileId!;
    await redeemPoints(db, ws.id, { profileId: a, points: 150, reason: 'spend' });
    const [moved] = await upsertOrders(db, ws.id, [order('MV-1', 'mv-right', [{ sku: 'A', price: 200 }])]);
    const b = moved!.profileId!;
    expect(b).not.toBe(a);
    // The first member had spent 150 of them: the rest is reversed, 150 become debt.
    expect(await expectLedgerConsistent(db, ws.id, a)).toMatchObject({ balance: 0, debt: 150 });
    expect(await expectLedgerConsistent(db, ws.id, b)).toMatchObject({ balance: 200, debt: 0 });
    const rows = (await entries(db, ws.id)).filter((e) => e.kind !== 'redeem');
    expect(rows.map((e) => `${e.profile_id === a ? 'a' : 'b'} ${e.kind} ${e.points}`)).toEqual(['a earn 200', 'a reverse -50', 'b earn 200']);
    expect(rows[1]!.reason).toMatch(/MV-1.*another customer/);
    expect(rows[2]!.reason).toMatch(/MV-1/);
    const before = await entries(db, ws.id);
    await upsertOrders(db, ws.id, [order('MV-1', 'mv-right', [{ sku: 'A', price: 200 }])]);
    expect((await settlePointsForOrders(db, ws.id, ['MV-1']))[0]).toMatchObject({ granted: 0, reversed: 0, targetPoints: 200 });
    expect(await entries(db, ws.id)).toEqual(before);
    // A refund afterwards comes off the member who holds the order now.
    await refundOrder(db, ws.id, 'MV-1', { refundId: 'r1', amount: 50 });
    expect(await expectLedgerConsistent(db, ws.id, b)).toMatchObject({ balance: 150 });
    expect(await expectLedgerConsistent(db, ws.id, a)).toMatchObject({ balance: 0, debt: 150 });
    // Moved back: the first member earns the order's current 150 (paying their debt), the second gives them up.
    await upsertOrders(db, ws.id, [order('MV-1', 'mv-wrong', [{ sku: 'A', price: 200 }])]);
    expect(await expectLedgerConsistent(db, ws.id, a)).toMatchObject({ balance: 0, debt: 0 });
    expect(await expectLedgerConsistent(db, ws.id, b)).toMatchObject({ balance: 0, debt: 0 });
    const keys = (await entries(db, ws.id)).map((e) => e.idempotency_key).filter((k) => k !== null);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('a OneID merge of the order\'s customer moves no points by itself (the grant follows the merge)', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const at = new Date().toISOString();
    await ingestMessages(db, ws.id, [{ type: 'track', event: 'Viewed', anonymousId: 'mg-anon', timestamp: at }]);
    const [o] = await upsertOrders(db, ws.id, [order('MG-1', 'mg-user', [{ sku: 'A', price: 120 }])]);
    await ingestMessages(db, ws.id, [{ type: 'identify', userId: 'mg-user', anonymousId: 'mg-anon', timestamp: new Date().toISOString() }]);
    const row = await db.selectFrom('orders').select('profile_id').where('workspace_id', '=', ws.id).where('order_id', '=', 'MG-1').executeTakeFirstOrThrow();
    const survivor = row.profile_id!;
    expect(await expectLedgerConsistent(db, ws.id, survivor)).toMatchObject({ balance: 120 });
    const before = await entries(db, ws.id);
    expect((await settlePointsForOrders(db, ws.id, ['MG-1']))[0]).toMatchObject({ granted: 0, reversed: 0 });
    expect(await entries(db, ws.id)).toEqual(before);
    if (survivor !== o!.profileId) expect(await expectLedgerConsistent(db, ws.id, o!.profileId!)).toMatchObject({ balance: 0 });
  });

  it.runIf(ctx.kind === 'postgres')('a settlement that waited for the order\'s lock settles the version stored meanwhile, not the one it read first', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const [o] = await upsertOrders(db, ws.id, [order('RC-1', 'race-a', [{ sku: 'A', price: 100 }])]);
    const slow = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${testPostgresSchema()}` });
    await slow.connect();
    try {
      // Another writer holds the order's grant while it stores a corrected version (an item added).
      await slow.query('BEGIN');
      await slow.query('SELECT 1 FROM points_order_grants WHERE workspace_id = $1 AND order_id = $2 FOR UPDATE', [ws.id, 'RC-1']);
      const settling = settlePointsForOrders(db, ws.id, ['RC-1']); // reads the first version, then waits for the grant
      await new Promise((r) => setTimeout(r, 300));
      await slow.query('UPDATE orders SET total_amount = 150, paid_amount = 150 WHERE workspace_id = $1 AND order_id = $2', [ws.id, 'RC-1']);
      await slow.query(`INSERT INTO order_items (workspace_id, order_id, line, sku, quantity, price, refunded_quantity) VALUES ($1, $2, 1, 'B', 1, 50, 0)`, [ws.id, 'RC-1']);
      await slow.query('COMMIT');
      expect((await settling)[0]).toMatchObject({ granted: 50, targetPoints: 150 });
    } finally {
      await slow.end();
    }
    expect(await expectLedgerConsistent(db, ws.id, o!.profileId!)).toMatchObject({ balance: 150 });
  });

  it.runIf(ctx.kind === 'postgres')('two settlements of a newly paid order that read different customers: the points end with one member, once', async () => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    // A pending order (it earns nothing yet), then paid behind the hook's back, so no grant exists.
    const [o] = await upsertOrders(db, ws.id, [{ ...order('NEW-1', 'new-a', [{ sku: 'A', price: 300 }]), status: 'pending' }]);
    const [p1, p3] = [o!.profileId!, newProfileId()];
    const setOrder = (profileId: number) => sql`UPDATE orders SET profile_id = ${profileId}, status = 'paid', paid_at = now() WHERE workspace_id = ${ws.id} AND order_id = 'NEW-1'`.execute(db);
    await setOrder(p1);
    await sql`INSERT INTO points_accounts (workspace_id, profile_id) VALUES (${ws.id}, ${p1}) ON CONFLICT DO NOTHING`.execute(db);
    // Another writer holds p1's account for a while.
    const hold = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${testPostgresSchema()}` });
    await hold.connect();
    await hold.query('BEGIN');
    await hold.query('SELECT 1 FROM points_accounts WHERE workspace_id = $1 AND profile_id = $2 FOR UPDATE', [ws.id, p1]);
    const pause = () => new Promise((r) => setTimeout(r, 300));
    try {
      const first = settlePointsForOrders(db, ws.id, ['NEW-1']); // reads p1 (no grant yet), waits for p1's account
      await pause();
      await setOrder(p3); // the customer corrected meanwhile
      const second = settlePointsForOrders(db, ws.id, ['NEW-1']); // reads p3: must wait for the first, not earn beside it
      await pause();
      await hold.query('COMMIT');
      await Promise.all([first, second]);
    } finally {
      await hold.end();
    }
    await settlePointsForOrders(db, ws.id, ['NEW-1']);
    const held = await sql<{ profile_id: number; n: number }>`
      SELECT profile_id, sum(points)::int AS n FROM points_entries WHERE workspace_id = ${ws.id} GROUP BY profile_id HAVING sum(points) <> 0`.execute(db);
    expect(held.rows.map((r) => [Number(r.profile_id), r.n])).toEqual([[p3, 300]]);
    for (const p of [p1, p3]) expect((await expectLedgerConsistent(db, ws.id, p)).debt).toBe(0);
  });
});
