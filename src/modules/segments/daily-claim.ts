import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';

/** How long a claimed daily pass may go without renewing (after each step) before another worker takes it over. */
export const DAILY_LEASE_MS = 5 * 60_000;

/**
 * Claims the daily pass of `day` for a workspace: true when this worker should run it, false when it is done for that
 * day or another worker's pass is under way (lease not lapsed). One statement, so two processes never both win.
 */
export async function claimDailyPass(db: Db, workspaceId: string, day: string, leaseMs = DAILY_LEASE_MS): Promise<boolean> {
  const { rows } = await sql<{ day: string }>`
    INSERT INTO rules_daily_runs (workspace_id, day, status, lease_until)
    VALUES (${workspaceId}, ${day}, 'running', now() + make_interval(secs => ${leaseMs / 1000}))
    ON CONFLICT (workspace_id) DO UPDATE
      SET day = excluded.day, status = 'running', lease_until = excluded.lease_until, updated_at = now()
      WHERE rules_daily_runs.day <> excluded.day
         OR (rules_daily_runs.status = 'running' AND rules_daily_runs.lease_until < now())
    RETURNING day`.execute(db);
  return rows.length === 1;
}

/** Extends the lease of a pass this worker is running (called after each of its steps). */
export async function renewDailyPass(db: Db, workspaceId: string, day: string, leaseMs = DAILY_LEASE_MS): Promise<void> {
  await db.updateTable('rules_daily_runs')
    .set({ lease_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1000})`, updated_at: sql<Date>`now()` })
    .where('workspace_id', '=', workspaceId).where('day', '=', day).where('status', '=', 'running')
    .execute();
}

export async function finishDailyPass(db: Db, workspaceId: string, day: string): Promise<void> {
  await db.updateTable('rules_daily_runs').set({ status: 'done', updated_at: sql<Date>`now()` })
    .where('workspace_id', '=', workspaceId).where('day', '=', day)
    .execute();
}

/**
 * Gives a claimed pass back at once (its run failed), so the next tick may retry it instead of waiting out the lease.
 * The lease ends at -infinity, not now(): a claim wants `lease_until < now()`, and a claim right after the release
 * could read the same now() (PGlite's clock has coarse steps; the test saw the retry refused).
 */
export async function releaseDailyPass(db: Db, workspaceId: string, day: string): Promise<void> {
  await db.updateTable('rules_daily_runs').set({ lease_until: sql<Date>`'-infinity'::timestamptz`, updated_at: sql<Date>`now()` })
    .where('workspace_id', '=', workspaceId).where('day', '=', day).where('status', '=', 'running')
    .execute();
}
