import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import type { Db } from '../../src/platform/db/database.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { unmergeProfiles } from '../../src/modules/identity/index.js';
import { redeemPoints, settlePointsForOrders } from '../../src/modules/loyalty/index.js';
import { refundOrder, upsertOrders } from '../../src/modules/orders/index.js';
import { wireModules } from '../../src/modules/wiring.js';
import { expectLedgerConsistent } from './helpers.js';

const profileOf = async (db: Db, ws: string, type: string, value: string) =>
  (await db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', ws).where('type', '=', type).where('value', '=', value).executeTakeFirstOrThrow()).profile_id!;

const orderOf = async (db: Db, ws: string, orderId: string) => {
  const { rows } = await sql<{ order_profile: number; grant_profile: number }>`
    SELECT o.profile_id AS order_profile, g.profile_id AS grant_profile FROM orders o
    JOIN points_order_grants g ON g.workspace_id = o.workspace_id AND g.order_id = o.order_id
    WHERE o.workspace_id = ${ws} AND o.order_id = ${orderId}`.execute(db);
  return { order: Number(rows[0]!.order_profile), grant: Number(rows[0]!.grant_profile) };
};

/**
 * An order paid while two profiles were one is granted to the merged profile. When an operator undoes the merge,
 * the order goes back with the identifier that placed it, and so must its points, at once (not at its next refund).
 */
describeEachDatabase('order points after an unmerge', (ctx) => {
  it.each([
    ['absorbed', 0],
    ['surviving', 0],
    ['absorbed', 60],
  ] as const)('an order placed by the %s side keeps its points with its customer (%i spent while merged)', async (side, spent) => {
    wireModules();
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const at = new Date(Date.now() - 120_000).toISOString();
    await ingestMessages(db, ws.id, [
      { type: 'identify', userId: 'um-user', timestamp: at },
      { type: 'track', event: 'Viewed', anonymousId: 'um-device', timestamp: at },
    ]);
    const user = await profileOf(db, ws.id, 'userId', 'um-user');
    const device = await profileOf(db, ws.id, 'anonymousId', 'um-device');
    await ingestMessages(db, ws.id, [{ type: 'identify', userId: 'um-user', anonymousId: 'um-device', timestamp: new Date(Date.now() - 60_000).toISOString() }]);
    const survivor = await profileOf(db, ws.id, 'userId', 'um-user');
    const absorbed = survivor === user ? device : user;
    // The customer the order names: the identifier whose own profile was absorbed, or the survivor's.
    const placedBy = (side === 'absorbed') === (absorbed === device) ? { anonymousId: 'um-device' } : { userId: 'um-user' };
    const own = 'anonymousId' in placedBy ? device : user;
    const other = own === user ? device : user;
    await upsertOrders(db, ws.id, [{
      orderId: `UM-${side}`, customer: placedBy, totalAmount: 100, items: [{ sku: 'A', price: 100, quantity: 1 }],
      orderedAt: new Date(Date.now() - 30_000).toISOString(),
    }]);
    expect(await orderOf(db, ws.id, `UM-${side}`)).toEqual({ order: survivor, grant: survivor });
    expect(await expectLedgerConsistent(db, ws.id, survivor)).toMatchObject({ balance: 100 });

    if (spent) await redeemPoints(db, ws.id, { profileId: survivor, points: spent, reason: 'spent while merged' });

    const merge = await db.selectFrom('profile_merges').select('id').where('workspace_id', '=', ws.id).where('kind', '=', 'merge').executeTakeFirstOrThrow();
    await unmergeProfiles(db, ws.id, Number(merge.id), 'test');
    expect(await profileOf(db, ws.id, 'userId', 'um-user')).toBe(user);
    expect(await profileOf(db, ws.id, 'anonymousId', 'um-device')).toBe(device);
    expect(await orderOf(db, ws.id, `UM-${side}`)).toEqual({ order: own, grant: own });
    // What the merged profile spent was spent by whoever spent it: the spender owes it, as after any unmerge.
    const spender = survivor;
    expect(await expectLedgerConsistent(db, ws.id, own)).toMatchObject({ balance: own === spender ? 100 - spent : 100, debt: 0 });
    expect(await expectLedgerConsistent(db, ws.id, other)).toMatchObject({ balance: 0, debt: other === spender ? spent : 0 });
    if (spent) return;
    // Settling again finds nothing to do, and a refund takes the points back from the customer who has them.
    expect((await settlePointsForOrders(db, ws.id, [`UM-${side}`]))[0]).toMatchObject({ granted: 0, reversed: 0, targetPoints: 100 });
    await refundOrder(db, ws.id, `UM-${side}`, { refundId: 'r1', amount: 100, items: [{ sku: 'A', quantity: 1 }] });
    expect(await expectLedgerConsistent(db, ws.id, own)).toMatchObject({ balance: 0, debt: 0 });
    expect(await expectLedgerConsistent(db, ws.id, other)).toMatchObject({ balance: 0, debt: 0 });
  });
});
