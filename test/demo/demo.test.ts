import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { loadDemoBrand, type DemoProgress } from '../../src/modules/demo/index.js';
import { aiplReport, refreshStages, rfmReport, snapshotDailyCounts } from '../../src/modules/lifecycle/index.js';
import { COUNTED_ORDER_STATUSES, dayIn } from '../../src/modules/rules/index.js';
import { describeEachDatabase } from '../support/databases.js';

const DAY_MS = 86_400_000;

describeEachDatabase('the demo brand', (ctx) => {
  it('arrives with 30 days of AIPL history (what the daily pass would have recorded each day), RFM and two journeys that ran', async () => {
    const { db } = ctx.database;
    const workspaceId = `ws_demo_test_${ctx.kind}_${Date.now().toString(36)}`;
    const now = new Date('2026-11-20T03:17:45.123Z');
    const progress: DemoProgress[] = [];
    const result = await loadDemoBrand(db, { workspaceId, members: 200, now, onProgress: (p) => progress.push(p) });
    expect(result.workspaceId).toBe(workspaceId);
    expect(progress.at(-1)).toMatchObject({ step: 'lifecycle', members: 200 });

    // Daily counts for each of the last 30 days, all four stages, most people placed.
    const snapshot = async () => ({
      daily: (
        await sql<{ day: string; stage: string; profiles: number }>`SELECT to_char(day, 'YYYY-MM-DD') AS day, stage, profiles FROM lifecycle_daily
          WHERE workspace_id = ${workspaceId} ORDER BY day, stage`.execute(db)
      ).rows,
      history: (
        await sql<{ profile_id: string; from_stage: string | null; to_stage: string | null; at: Date }>`SELECT profile_id, from_stage, to_stage, at FROM lifecycle_history
          WHERE workspace_id = ${workspaceId} ORDER BY at, profile_id`.execute(db)
      ).rows,
      current: (
        await sql<{ profile_id: string; stage: string; since: Date }>`SELECT profile_id, stage, since FROM profile_lifecycle
          WHERE workspace_id = ${workspaceId} ORDER BY profile_id`.execute(db)
      ).rows,
    });
    const backfilled = await snapshot();
    const days = new Set(backfilled.daily.map((r) => r.day));
    for (let k = 0; k < 30; k++) expect(days.has(dayIn(new Date(now.getTime() - k * DAY_MS), 'Asia/Shanghai'))).toBe(true);
    const today = backfilled.daily.filter((r) => r.day === dayIn(now, 'Asia/Shanghai'));
    expect(today.map((r) => r.stage)).toEqual(['A', 'I', 'L', 'P']);
    expect(today.reduce((n, r) => n + r.profiles, 0)).toBeGreaterThan(100);
    // Every stage is populated: prospects reached by ads and search are A (the demo maps its own event names too).
    for (const stage of ['A', 'I', 'P', 'L']) expect(today.find((r) => r.stage === stage)?.profiles, stage).toBeGreaterThan(0);

    // Flows in the overview's period are movements between stages, not only first placements.
    const report = await aiplReport(db, workspaceId, new Date(now.getTime() - 30 * DAY_MS), now);
    expect(report.daily.length).toBeGreaterThanOrEqual(30);
    const moves = report.flows.filter((f) => f.from !== 'none' && f.to !== 'none');
    expect(moves.reduce((n, f) => n + f.profiles, 0)).toBeGreaterThan(10);
    expect(report.flows.some((f) => f.backflow)).toBe(true);

    const rfm = await rfmReport(db, workspaceId);
    expect(rfm.classes.filter((c) => c.profiles > 0).length).toBeGreaterThan(2);

    // Two journeys ran on the demo's own history: everyone entered weeks ago has left, and converted exactly when
    // they ordered during the wait (the goal the engine checked when the wait ended).
    const { rows: journeys } = await sql<{ name: string; entered: number; active: number; converted: number; expected: number }>`
      SELECT j.name, count(e.id)::int AS entered, count(e.id) FILTER (WHERE e.status = 'active')::int AS active,
        count(e.id) FILTER (WHERE e.converted)::int AS converted,
        count(e.id) FILTER (WHERE EXISTS (SELECT 1 FROM orders o WHERE o.workspace_id = e.workspace_id AND o.profile_id = e.profile_id
          AND o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[]) AND o.ordered_at >= e.entered_at
          AND o.ordered_at <= e.entered_at + make_interval(days => (v.definition->'nodes'->0->'duration'->>'days')::int)))::int AS expected
      FROM journeys j JOIN journey_versions v ON v.workspace_id = j.workspace_id AND v.journey_id = j.id AND v.version = j.published_version
      LEFT JOIN journey_entries e ON e.workspace_id = j.workspace_id AND e.journey_id = j.id
      WHERE j.workspace_id = ${workspaceId} GROUP BY j.name ORDER BY j.name`.execute(db);
    expect(journeys.map((j) => j.name).sort()).toEqual(['新会员首单引导', '沉睡会员唤回'].sort());
    expect(journeys.reduce((n, j) => n + j.entered, 0)).toBeGreaterThan(0);
    for (const j of journeys) expect({ name: j.name, active: j.active, converted: j.converted }).toEqual({ name: j.name, active: 0, converted: j.expected });
    expect(journeys.reduce((n, j) => n + j.converted, 0)).toBeGreaterThan(0);
    // The overview's daily roll-up is built, so the first visitor does not wait for it.
    const rollup = await sql<{ days: number }>`SELECT count(*)::int AS days FROM overview_daily WHERE workspace_id = ${workspaceId} AND orders > 0`.execute(db);
    expect(rollup.rows[0]!.days).toBeGreaterThan(10);

    // The set-based backfill says exactly what running the daily pass once a day would have said.
    for (const table of ['lifecycle_history', 'lifecycle_daily', 'profile_lifecycle']) {
      await sql`DELETE FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId}`.execute(db);
    }
    for (let k = 31; k >= 0; k--) {
      const at = new Date(now.getTime() - k * DAY_MS);
      await refreshStages(db, workspaceId, at);
      await snapshotDailyCounts(db, workspaceId, at);
    }
    const replayed = await snapshot();
    expect(backfilled.daily).toEqual(replayed.daily);
    expect(backfilled.current).toEqual(replayed.current);
    expect(backfilled.history.length).toBe(replayed.history.length);
    expect(backfilled.history).toEqual(replayed.history);
  }, 240_000);
});
