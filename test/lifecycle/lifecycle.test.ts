import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { aiplReport, computeRfm, profileLifecycle, refreshStages, rfmReport, saveLifecycleSettings, DEFAULT_SETTINGS } from '../../src/modules/lifecycle/index.js';
import { runDailyPass } from '../../src/modules/segments/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer } from '../support/app.js';
import { addEvents, addOrders, newTestWorkspace, seedProfile } from '../rules/seed.js';

const T0 = new Date('2025-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const ago = (days: number, from = T0) => new Date(from.getTime() - days * DAY);

describeEachDatabase('AIPL lifecycle and RFM', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('moves profiles through A → I → P → L, records each change, lapses back when the window passes, and reports flows', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    await saveLifecycleSettings(db, ws.id, { ...DEFAULT_SETTINGS, aipl: { ...DEFAULT_SETTINGS.aipl, windowDays: 30 } });
    const p = await seedProfile(db, ws.id, { events: [{ event: 'Ad Impression', timestamp: ago(1) }] });
    const other = await seedProfile(db, ws.id, { events: [{ event: 'Page Viewed', timestamp: ago(40) }] });

    await runDailyPass(db, ws.id, ago(0, T0));
    expect((await profileLifecycle(db, ws.id, p)).stage).toBe('A');
    expect((await profileLifecycle(db, ws.id, other)).stage).toBeNull();

    const t1 = new Date(T0.getTime() + DAY);
    await addEvents(db, ws.id, p, [{ event: 'Product Viewed', timestamp: T0 }]);
    await refreshStages(db, ws.id, t1, [p]);
    await addOrders(db, ws.id, p, [{ paid: 100, orderedAt: t1 }]);
    const t2 = new Date(T0.getTime() + 2 * DAY);
    await refreshStages(db, ws.id, t2, [p]);
    await addOrders(db, ws.id, p, [{ paid: 50, orderedAt: t2 }]);
    const t3 = new Date(T0.getTime() + 3 * DAY);
    await refreshStages(db, ws.id, t3, [p]);
    expect((await profileLifecycle(db, ws.id, p)).stage).toBe('L');
    // 31 days after the first order only the second one is in the window: back to P.
    const t4 = new Date(t1.getTime() + 31 * DAY);
    await runDailyPass(db, ws.id, t4);
    const view = await profileLifecycle(db, ws.id, p);
    expect(view.stage).toBe('P');
    expect(view.history.map((h) => `${h.from}→${h.to}`)).toEqual(['L→P', 'P→L', 'I→P', 'A→I', 'null→A']);

    const report = await aiplReport(db, ws.id, T0, t4);
    expect(report.flows).toEqual(
      expect.arrayContaining([
        { from: 'A', to: 'I', profiles: 1, backflow: false },
        { from: 'I', to: 'P', profiles: 1, backflow: false },
        { from: 'P', to: 'L', profiles: 1, backflow: false },
        { from: 'L', to: 'P', profiles: 1, backflow: true },
      ]),
    );
    expect(report.daily).toEqual([
      { day: '2025-06-15', A: 1, I: 0, P: 0, L: 0 },
      { day: '2025-07-17', A: 0, I: 0, P: 1, L: 0 },
    ]);

    const http = await app.inject({ method: 'GET', url: `/api/v1/reports/aipl?from=${T0.toISOString()}&to=${t4.toISOString()}`, headers: bearer(ws.adminToken) });
    expect(http.statusCode).toBe(200);
    expect((http.json() as { daily: unknown[] }).daily).toHaveLength(2);
  });

  it('scores RFM by quintiles and by the 8-class model, excluding refunds, and reports classes and the R×F grid', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    // Five buyers with distinct recency, frequency and money; a refunded order never counts.
    const specs = [
      { days: [1, 2, 3, 4, 5], paid: 1000 },
      { days: [10, 20, 30, 40], paid: 500 },
      { days: [50, 60, 70], paid: 100 },
      { days: [100, 110], paid: 50 },
      { days: [300], paid: 10 },
    ];
    const ids: number[] = [];
    for (const s of specs) ids.push(await seedProfile(db, ws.id, { orders: s.days.map((d) => ({ paid: s.paid, orderedAt: ago(d) })) }));
    await addOrders(db, ws.id, ids[4]!, [{ paid: 99_999, refunded: 99_999, status: 'refunded', orderedAt: ago(0) }]);
    await seedProfile(db, ws.id); // no orders: no RFM

    expect(await computeRfm(db, ws.id, T0)).toEqual({ profiles: 5 });
    const rows = await db.selectFrom('profile_rfm').selectAll().where('workspace_id', '=', ws.id).orderBy('r_score', 'desc').execute();
    expect(rows.map((r) => [r.profile_id, r.recency_days, r.frequency, r.monetary, r.r_score, r.f_score, r.m_score])).toEqual([
      [ids[0], 1, 5, 5000, 5, 5, 5],
      [ids[1], 10, 4, 2000, 4, 4, 4],
      [ids[2], 50, 3, 300, 3, 3, 3],
      [ids[3], 100, 2, 100, 2, 2, 2],
      [ids[4], 300, 1, 10, 1, 1, 1],
    ]);
    // Means: R 92.2 days, F 3, M 1482 → the first two are high on all three; the third is high on R and F only.
    expect(rows.map((r) => r.class8)).toEqual(['important_value', 'important_value', 'general_value', 'general_winback', 'general_winback']);

    const report = await rfmReport(db, ws.id);
    expect(report.classes.find((c) => c.class8 === 'important_value')).toEqual({ class8: 'important_value', label: '重要价值', profiles: 2, revenue: 7000 });
    expect(report.grid).toHaveLength(5);
    expect(report.grid[0]).toEqual({ r: 1, f: 1, profiles: 1, revenue: 10 });

    const view = await app.inject({ method: 'GET', url: `/api/v1/profiles/${ids[0]}/lifecycle`, headers: bearer(ws.adminToken) });
    expect(view.json()).toMatchObject({ rfm: { class8: 'important_value', classLabel: '重要价值', rScore: 5 } });
  });
});
