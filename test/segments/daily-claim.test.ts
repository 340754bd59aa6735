import { sql } from 'kysely';
import { expect, it, vi } from 'vitest';
import { startRulesWorker } from '../../src/modules/segments/index.js';
import { claimDailyPass, finishDailyPass, releaseDailyPass } from '../../src/modules/segments/daily-claim.js';
import { dayIn } from '../../src/modules/rules/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { newTestWorkspace } from '../rules/seed.js';

describeEachDatabase('daily pass claim', (ctx) => {
  it('lets one worker run a day once, hands a lapsed or released pass over, and starts again the next day', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    expect(await claimDailyPass(db, ws.id, '2026-11-23')).toBe(true);
    expect(await claimDailyPass(db, ws.id, '2026-11-23')).toBe(false); // running, lease held
    await releaseDailyPass(db, ws.id, '2026-11-23'); // its run failed
    expect(await claimDailyPass(db, ws.id, '2026-11-23')).toBe(true);
    await finishDailyPass(db, ws.id, '2026-11-23');
    expect(await claimDailyPass(db, ws.id, '2026-11-23')).toBe(false); // done for that day
    expect(await claimDailyPass(db, ws.id, '2026-11-24', 60_000)).toBe(true); // the next day
    // A process that died mid-pass leaves a running row; once its lease lapses another worker takes it over.
    await sql`UPDATE rules_daily_runs SET lease_until = now() - interval '1 second' WHERE workspace_id = ${ws.id}`.execute(db);
    expect(await claimDailyPass(db, ws.id, '2026-11-24')).toBe(true);
  });

  it('runs the pass once a day across two workers and a restart', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const done: string[] = [];
    const log = (m: string) => {
      if (m.includes('daily pass of')) done.push(m);
    };
    const first = startRulesWorker(db, { intervalMs: 20, workspaceId: ws.id, log });
    const second = startRulesWorker(db, { intervalMs: 20, workspaceId: ws.id, log });
    try {
      await vi.waitFor(() => expect(done).toHaveLength(1), { timeout: 20_000, interval: 50 });
      await new Promise((r) => setTimeout(r, 300)); // many more ticks of both loops
    } finally {
      await Promise.all([first(), second()]);
    }
    const restarted = startRulesWorker(db, { intervalMs: 20, workspaceId: ws.id, log });
    await new Promise((r) => setTimeout(r, 300));
    await restarted();
    expect(done).toHaveLength(1);
    const row = await db.selectFrom('rules_daily_runs').selectAll().where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'done', day: dayIn(new Date(), 'Asia/Shanghai') });
  });
});
