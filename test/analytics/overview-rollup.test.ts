import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, sendBatch } from '../support/ingest.js';
import { DEFAULT_OVERVIEW_DAYS, startOverviewRollupWarmer } from '../../src/modules/analytics/index.js';
import { overviewDays } from '../../src/modules/analytics/rollup.js';

type Series = Array<{ day: string; value: number }>;
interface Overview { newMembers: Series; orders: Series; gmv: Series; events: Series }

/** The overview's series straight from the rows (what the roll-up must equal): whole local days from `days` ago. */
async function reference(db: Db, workspaceId: string, days: number): Promise<Overview> {
  const from = sql`((now() - make_interval(days => ${days})) AT TIME ZONE w.timezone)::date`;
  const day = (column: string) => sql`to_char((${sql.ref(column)} AT TIME ZONE w.timezone)::date, 'YYYY-MM-DD')`;
  const members = await sql<{ day: string; value: number }>`
    SELECT ${day('first_seen_at')} AS day, count(DISTINCT profile_id)::int AS value FROM identifiers i JOIN workspaces w ON w.id = i.workspace_id
    WHERE i.workspace_id = ${workspaceId} AND type = 'member_no' AND (first_seen_at AT TIME ZONE w.timezone)::date >= ${from} GROUP BY 1 ORDER BY 1`.execute(db);
  const orders = await sql<{ day: string; value: number; gmv: string }>`
    SELECT ${day('ordered_at')} AS day, count(*)::int AS value, sum(paid_amount - refunded_amount)::text AS gmv FROM orders o JOIN workspaces w ON w.id = o.workspace_id
    WHERE o.workspace_id = ${workspaceId} AND status NOT IN ('cancelled', 'pending') AND (ordered_at AT TIME ZONE w.timezone)::date >= ${from} GROUP BY 1 ORDER BY 1`.execute(db);
  const events = await sql<{ day: string; value: number }>`
    SELECT ${day('timestamp')} AS day, count(*)::int AS value FROM events e JOIN workspaces w ON w.id = e.workspace_id
    WHERE e.workspace_id = ${workspaceId} AND ("timestamp" AT TIME ZONE w.timezone)::date >= ${from} GROUP BY 1 ORDER BY 1`.execute(db);
  return {
    newMembers: members.rows,
    orders: orders.rows.map((r) => ({ day: r.day, value: r.value })),
    gmv: orders.rows.map((r) => ({ day: r.day, value: Number(r.gmv) })),
    events: events.rows,
  };
}

describeEachDatabase('overview daily roll-up', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('gives the same series as the rows, tops today up live, and takes in late data and a new time zone at its next roll-up', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    const daysAgo = (n: number, hour = 4) => new Date(Date.now() - n * 86_400_000 - hour * 3_600_000).toISOString();
    const identify = (user: string, member: string, at: string) => ({ type: 'identify', userId: user, timestamp: at, context: { externalIds: [{ id: member, type: 'member_no' }] }, messageId: mid() });
    const track = (user: string, at: string) => ({ type: 'track', userId: user, event: 'Product Viewed', timestamp: at, messageId: mid() });
    await sendBatch(app, ws.writeKey, [
      identify('u1', 'M1', daysAgo(5)), identify('u2', 'M2', daysAgo(2)), identify('u3', 'M3', daysAgo(0, 0)),
      track('u1', daysAgo(5)), track('u1', daysAgo(3)), track('u2', daysAgo(2)), track('u2', daysAgo(2, 6)), track('u3', daysAgo(0, 0)),
      track('u1', daysAgo(40)), // outside a 7-day window
    ]);
    const order = (orderId: string, at: string, total: number, extra: Record<string, unknown> = {}) => ({ orderId, customer: { userId: 'u1' }, totalAmount: total, status: 'paid', orderedAt: at, ...extra });
    const posted = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: { orders: [
      order('O1', daysAgo(3), 100), order('O2', daysAgo(3), 50, { refundedAmount: 20, status: 'partially_refunded' }),
      order('O3', daysAgo(1), 80, { status: 'cancelled' }), order('O4', daysAgo(1), 60), order('O5', daysAgo(0, 0), 30),
    ] } });
    expect(posted.statusCode, posted.body).toBe(200);

    const overview = async (days = 7) => {
      const res = await app.inject({ method: 'GET', url: `/api/v1/stats/overview?days=${days}`, headers: bearer(ws.adminToken) });
      expect(res.statusCode, res.body).toBe(200);
      const { newMembers, orders, gmv, events } = res.json() as Overview;
      return { newMembers, orders, gmv, events };
    };
    const first = await overview();
    expect(first).toEqual(await reference(db, ws.id, 7));
    expect(first.orders.reduce((s, p) => s + p.value, 0)).toBe(4);
    expect(first.gmv.reduce((s, p) => s + p.value, 0)).toBe(220);
    const state = async () => (await sql<{ today: string; computed_at: Date }>`SELECT to_char(today, 'YYYY-MM-DD') AS today, computed_at FROM overview_rollups WHERE workspace_id = ${ws.id}`.execute(db)).rows[0];
    const computed = await state();
    expect(computed).toBeDefined();
    const closedDays = await sql<{ n: number }>`SELECT count(*)::int AS n FROM overview_daily WHERE workspace_id = ${ws.id}`.execute(db);
    expect(closedDays.rows[0]!.n).toBeGreaterThanOrEqual(7);

    // Today's new data shows at once, without a new roll-up.
    await sendBatch(app, ws.writeKey, [identify('u4', 'M4', daysAgo(0, 0)), track('u4', daysAgo(0, 0)), track('u3', daysAgo(0, 0))]);
    await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: { orders: [order('O6', daysAgo(0, 0), 45)] } });
    const second = await overview();
    expect(second).toEqual(await reference(db, ws.id, 7));
    expect(second).not.toEqual(first);
    expect((await state())!.computed_at).toEqual(computed!.computed_at);

    // A late order for a closed day and a refund of an old one: in the next day's roll-up (simulated by ageing it).
    await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: { orders: [order('O7', daysAgo(4), 70), order('O1', daysAgo(3), 100, { refundedAmount: 100, status: 'refunded' })] } });
    expect(await overview()).toEqual(second);
    await sql`UPDATE overview_rollups SET today = today - 1 WHERE workspace_id = ${ws.id}`.execute(db);
    const nextDay = await overview();
    expect(nextDay).toEqual(await reference(db, ws.id, 7));
    expect(nextDay.orders.reduce((s, p) => s + p.value, 0)).toBe(6);

    // A longer window than the roll-up covers, and another time zone: recomputed.
    expect(await overview(60)).toEqual(await reference(db, ws.id, 60));
    await sql`UPDATE workspaces SET timezone = 'America/Los_Angeles' WHERE id = ${ws.id}`.execute(db);
    expect(await overview()).toEqual(await reference(db, ws.id, 7));
  });

  it('is built ahead of the first visitor by the warmer, for the default period, and again once a day has passed', async () => {
    const db = ctx.database.db;
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [{ type: 'track', userId: 'w1', event: 'Product Viewed', timestamp: new Date(Date.now() - 3 * 86_400_000).toISOString(), messageId: mid() }]);
    const state = async () =>
      (await sql<{ today: string; from_day: string }>`SELECT to_char(today, 'YYYY-MM-DD') AS today, to_char(from_day, 'YYYY-MM-DD') AS from_day
        FROM overview_rollups WHERE workspace_id = ${ws.id}`.execute(db)).rows[0];
    expect(await state()).toBeUndefined();
    const stop = startOverviewRollupWarmer(db, { intervalMs: 50 });
    try {
      // The warmer visits every workspace of the run's schema (hundreds by now, some with data): under a loaded CI
      // machine one sweep has taken over 20 s.
      await expect.poll(state, { timeout: 90_000 }).toBeDefined();
      const days = await overviewDays(db, ws.id, DEFAULT_OVERVIEW_DAYS);
      expect(await state()).toEqual({ today: days.today, from_day: days.from_day });
      const daily = await sql<{ n: number }>`SELECT count(*)::int AS n FROM overview_daily WHERE workspace_id = ${ws.id} AND events > 0`.execute(db);
      expect(daily.rows[0]!.n).toBe(1);
      // A new local day: the warmer rebuilds it without a visitor.
      await sql`UPDATE overview_rollups SET today = today - 1 WHERE workspace_id = ${ws.id}`.execute(db);
      await expect.poll(async () => (await state())?.today, { timeout: 90_000 }).toBe(days.today);
    } finally {
      await stop();
    }
    // What it built is what a visitor then reads.
    const res = await app.inject({ method: 'GET', url: '/api/v1/stats/overview', headers: bearer(ws.adminToken) });
    expect(res.statusCode, res.body).toBe(200);
    expect((JSON.parse(res.body) as Overview).events).toEqual((await reference(db, ws.id, DEFAULT_OVERVIEW_DAYS)).events);
  }, 240_000);
});
