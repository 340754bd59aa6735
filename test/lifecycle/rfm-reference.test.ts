import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { computeRfm } from '../../src/modules/lifecycle/index.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { addOrders, newTestWorkspace, seedProfile, type SeedOrder } from '../rules/seed.js';

const T0 = new Date('2025-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const WINDOW_DAYS = 365; // the default RFM window
const COUNTED = new Set(['paid', 'partially_refunded']);

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Expected { recency: number; frequency: number; cents: number; r: number; f: number; m: number; class8: string }

/**
 * RFM the plain way, from the orders as written: rank = 1 + profiles strictly worse, score = min(5, 1 + ⌊5·(rank − 1)/n⌋);
 * class: each dimension high when at least as good as the mean (compared in whole cents / integers, exactly).
 */
function referenceRfm(orders: Map<number, SeedOrder[]>, reference: Date): Map<number, Expected> {
  const windowStart = reference.getTime() - WINDOW_DAYS * DAY;
  const measured = new Map<number, { recency: number; frequency: number; cents: number }>();
  for (const [id, list] of orders) {
    const counted = list.filter((o) => COUNTED.has(o.status ?? 'paid') && o.orderedAt.getTime() <= reference.getTime());
    if (counted.length === 0) continue;
    const last = Math.max(...counted.map((o) => o.orderedAt.getTime()));
    const inWindow = counted.filter((o) => o.orderedAt.getTime() >= windowStart);
    measured.set(id, {
      recency: Math.floor((reference.getTime() - last) / DAY),
      frequency: inWindow.length,
      cents: inWindow.reduce((sum, o) => sum + Math.round(o.paid * 100) - Math.round((o.refunded ?? 0) * 100), 0),
    });
  }
  const all = [...measured.values()];
  const n = all.length;
  const score = (worse: number) => Math.min(5, 1 + Math.floor((5 * worse) / n));
  const sum = (pick: (x: (typeof all)[number]) => number) => all.reduce((s, x) => s + pick(x), 0);
  const [sr, sf, sm] = [sum((x) => x.recency), sum((x) => x.frequency), sum((x) => x.cents)];
  const out = new Map<number, Expected>();
  for (const [id, x] of measured) {
    const rh = x.recency * n <= sr;
    const fh = x.frequency * n >= sf;
    const mh = x.cents * n >= sm;
    out.set(id, {
      ...x,
      r: score(all.filter((y) => y.recency > x.recency).length),
      f: score(all.filter((y) => y.frequency < x.frequency).length),
      m: score(all.filter((y) => y.cents < x.cents).length),
      class8: (mh ? 'important_' : 'general_') + (rh && fh ? 'value' : rh ? 'develop' : fh ? 'retain' : 'winback'),
    });
  }
  return out;
}

async function storedRfm(db: Db, workspaceId: string): Promise<Map<number, Expected>> {
  const rows = await db.selectFrom('profile_rfm').selectAll().where('workspace_id', '=', workspaceId).execute();
  return new Map(
    rows.map((r) => [
      r.profile_id,
      { recency: r.recency_days, frequency: r.frequency, cents: Math.round(Number(r.monetary) * 100), r: r.r_score, f: r.f_score, m: r.m_score, class8: r.class8 },
    ]),
  );
}

/** Orders drawn from a few values each, so ranks tie a lot; some refunded, cancelled, pending, or out of the window. */
function randomOrders(next: () => number, count: number): SeedOrder[] {
  const pick = <T,>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  return Array.from({ length: count }, () => {
    const status = pick(['paid', 'paid', 'paid', 'partially_refunded', 'refunded', 'cancelled', 'pending'] as const);
    const paid = pick([10, 10, 25.5, 99.99, 100, 300]);
    const refunded = status === 'refunded' ? paid : status === 'partially_refunded' ? pick([0, 5, paid]) : 0;
    // Days ago: recent ties, the window's edge, beyond it (counts for R only), and one after the reference date.
    const days = pick([0, 0.25, 1, 1, 3, 30, 30, 364.9, 366, 500, -2]);
    return { status, paid, refunded, orderedAt: new Date(T0.getTime() - days * DAY) };
  });
}

describeEachDatabase('RFM against a plain reference computation', (ctx) => {
  it('scores ties, zero amounts, orders outside the window and n not divisible by 5 as ranks do, and stays right when rerun', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const next = random(20251124);
    const orders = new Map<number, SeedOrder[]>();
    for (let i = 0; i < 43; i++) {
      const list = randomOrders(next, Math.floor(next() * 4));
      orders.set(await seedProfile(db, ws.id, { orders: list }), list);
    }
    // A merged profile's orders do not count for it.
    const merged = await seedProfile(db, ws.id, { orders: [{ paid: 50, orderedAt: new Date(T0.getTime() - DAY) }] });
    await db.updateTable('profiles').set({ merged_into: [...orders.keys()][0]! }).where('workspace_id', '=', ws.id).where('id', '=', merged).execute();

    const expected = referenceRfm(orders, T0);
    expect(expected.size).toBeGreaterThan(20); // enough buyers for ties spread over the scores
    for (const dim of ['r', 'f', 'm'] as const) expect(new Set([...expected.values()].map((e) => e[dim])).size).toBeGreaterThanOrEqual(3);
    expect(await computeRfm(db, ws.id, T0)).toEqual({ profiles: expected.size });
    expect(await storedRfm(db, ws.id)).toEqual(expected);

    // A day later, after changes: one buyer's orders all refunded (its row goes), a new buyer, more orders for some.
    const [gone, more] = [...expected.keys()];
    await sql`UPDATE orders SET status = 'refunded', refunded_amount = paid_amount WHERE workspace_id = ${ws.id} AND profile_id = ${gone!}`.execute(db);
    orders.set(gone!, orders.get(gone!)!.map((o) => ({ ...o, status: 'refunded' as const, refunded: o.paid })));
    const extra = [{ paid: 300, orderedAt: new Date(T0.getTime() + DAY / 2) }];
    await addOrders(db, ws.id, more!, extra);
    orders.get(more!)!.push(...extra);
    const newcomer = [{ paid: 10, orderedAt: T0 }];
    orders.set(await seedProfile(db, ws.id, { orders: newcomer }), newcomer);

    const t1 = new Date(T0.getTime() + DAY);
    const again = referenceRfm(orders, t1);
    expect(again.has(gone!)).toBe(false);
    expect(await computeRfm(db, ws.id, t1)).toEqual({ profiles: again.size });
    expect(await storedRfm(db, ws.id)).toEqual(again);
    const stamps = await db.selectFrom('profile_rfm').select('computed_at').distinct().where('workspace_id', '=', ws.id).execute();
    expect(stamps.map((s) => s.computed_at.getTime())).toEqual([t1.getTime()]);
    // Rerun with nothing changed: the same rows.
    expect(await computeRfm(db, ws.id, t1)).toEqual({ profiles: again.size });
    expect(await storedRfm(db, ws.id)).toEqual(again);
  });

  it('gives every profile the lowest scores when all tie, and a single buyer 1 / 1 / 1', async () => {
    const { db } = ctx.database;
    const tied = await newTestWorkspace(ctx.database);
    const orders = new Map<number, SeedOrder[]>();
    for (let i = 0; i < 7; i++) {
      const list = [{ paid: 20, orderedAt: new Date(T0.getTime() - 3 * DAY) }];
      orders.set(await seedProfile(db, tied.id, { orders: list }), list);
    }
    await computeRfm(db, tied.id, T0);
    const stored = await storedRfm(db, tied.id);
    expect(stored).toEqual(referenceRfm(orders, T0));
    expect(new Set([...stored.values()].map((e) => `${e.r}${e.f}${e.m}${e.class8}`))).toEqual(new Set(['111important_value']));

    const single = await newTestWorkspace(ctx.database);
    const one = await seedProfile(db, single.id, { orders: [{ paid: 0, orderedAt: new Date(T0.getTime() - 400 * DAY) }] });
    await computeRfm(db, single.id, T0);
    expect(await storedRfm(db, single.id)).toEqual(new Map([[one, { recency: 400, frequency: 0, cents: 0, r: 1, f: 1, m: 1, class8: 'important_value' }]]));

    const none = await newTestWorkspace(ctx.database);
    expect(await computeRfm(db, none.id, T0)).toEqual({ profiles: 0 });
  });
});
