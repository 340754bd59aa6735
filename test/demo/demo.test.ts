import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { loadDemoBrand, type DemoProgress } from '../../src/modules/demo/index.js';
import { aiplReport, refreshStages, rfmReport, snapshotDailyCounts } from '../../src/modules/lifecycle/index.js';
import { dayIn } from '../../src/modules/rules/index.js';
import { describeEachDatabase } from '../support/databases.js';

const DAY_MS = 86_400_000;

describeEachDatabase('the demo brand', (ctx) => {
  it('arrives with 30 days of AIPL history (what the daily pass would have recorded each day) and RFM', async () => {
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

    // Flows in the overview's period are movements between stages, not only first placements.
    const report = await aiplReport(db, workspaceId, new Date(now.getTime() - 30 * DAY_MS), now);
    expect(report.daily.length).toBeGreaterThanOrEqual(30);
    const moves = report.flows.filter((f) => f.from !== 'none' && f.to !== 'none');
    expect(moves.reduce((n, f) => n + f.profiles, 0)).toBeGreaterThan(10);
    expect(report.flows.some((f) => f.backflow)).toBe(true);

    const rfm = await rfmReport(db, workspaceId);
    expect(rfm.classes.filter((c) => c.profiles > 0).length).toBeGreaterThan(2);

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
