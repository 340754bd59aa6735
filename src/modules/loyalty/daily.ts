import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { releaseDuePending } from './pending.js';
import { expireDuePoints } from './points.js';
import { expireDueCoupons } from './coupons.js';
import { evaluateTiers } from './tiers.js';
import { announceExpiringPoints } from './expiry-notice.js';
import { grantBirthdayGifts } from './birthday.js';
import { localDay } from './local-dates.js';

/** How long a claimed day may go without renewing (after each step) before another worker takes it over. */
const LEASE_MS = 10 * 60_000;

export interface LoyaltyTickOptions {
  /** The clock (tests inject one). */
  now?: Date;
  /** Only these workspaces (tests); all by default. */
  workspaceIds?: string[];
  log?: (message: string) => void;
}

/**
 * One pass of the loyalty worker over the workspaces. Every pass: pending points whose refund window passed are
 * released, due lots and coupons expire (their expiry instants are already local: end of a local day or year, see
 * local-dates.ts). Once per workspace per *local* day, at the first pass after midnight in the workspace's time zone:
 * tiers are evaluated (downgrades with grace; a calendar tier year starts at local 1 January), expiring points are
 * announced and birthday gifts handed out. Before, "a day" was the UTC day, kept in each process's memory: a Shanghai
 * brand's day began at 08:00 there, a Los Angeles brand's at 16:00 the day before, and every process (and restart)
 * ran it again. The day is claimed in `loyalty_daily_runs` (one statement, so two processes never both win; a claim
 * whose process died is taken over once its lease lapses; a failed run is given back for the next pass). Returns
 * the daily runs this pass made.
 */
export async function runLoyaltyTick(db: Db, opts: LoyaltyTickOptions = {}): Promise<Array<{ workspaceId: string; day: string }>> {
  const now = opts.now ?? new Date();
  if (opts.workspaceIds?.length === 0) return [];
  let query = db.selectFrom('workspaces').select(['id', 'timezone']).orderBy('id');
  if (opts.workspaceIds) query = query.where('id', 'in', opts.workspaceIds);
  const ran: Array<{ workspaceId: string; day: string }> = [];
  for (const { id, timezone } of await query.execute()) {
    try {
      await releaseDuePending(db, id, now);
      await expireDuePoints(db, id, now);
      await expireDueCoupons(db, id, now);
      const day = localDay(now, timezone || 'Asia/Shanghai');
      if (await runDailyWork(db, id, day, now)) ran.push({ workspaceId: id, day });
    } catch (err) {
      // One workspace's failure does not hold the others back.
      opts.log?.(`loyalty jobs of workspace ${id} failed: ${(err as Error).message}`);
    }
  }
  return ran;
}

/** The day's work of one workspace, if this worker wins the day's claim. */
async function runDailyWork(db: Db, workspaceId: string, day: string, now: Date): Promise<boolean> {
  if (!(await claimDay(db, workspaceId, day))) return false;
  try {
    for (const step of [evaluateTiers, announceExpiringPoints, grantBirthdayGifts]) {
      await step(db, workspaceId, now);
      await setLease(db, workspaceId, day, sql<Date>`now() + make_interval(secs => ${LEASE_MS / 1000})`);
    }
  } catch (err) {
    // Given back at once (the lease ends at -infinity: a claim needs lease_until < now()), so the next pass retries.
    await setLease(db, workspaceId, day, sql<Date>`'-infinity'::timestamptz`);
    throw err;
  }
  await db.updateTable('loyalty_daily_runs').set({ status: 'done', updated_at: sql<Date>`now()` })
    .where('workspace_id', '=', workspaceId).where('day', '=', day).execute();
  return true;
}

/**
 * Claims `day` for a workspace: a later day than the last one claimed, or the same day whose run was given back or
 * whose lease lapsed. Never an earlier day, so a zone moved west (or a clock stepping back) does not run a day twice.
 */
async function claimDay(db: Db, workspaceId: string, day: string): Promise<boolean> {
  const { rows } = await sql<{ day: string }>`
    INSERT INTO loyalty_daily_runs (workspace_id, day, status, lease_until)
    VALUES (${workspaceId}, ${day}, 'running', now() + make_interval(secs => ${LEASE_MS / 1000}))
    ON CONFLICT (workspace_id) DO UPDATE
      SET day = excluded.day, status = 'running', lease_until = excluded.lease_until, updated_at = now()
      WHERE loyalty_daily_runs.day < excluded.day COLLATE "C"
         OR (loyalty_daily_runs.day = excluded.day AND loyalty_daily_runs.status = 'running' AND loyalty_daily_runs.lease_until < now())
    RETURNING day`.execute(db);
  return rows.length === 1;
}

async function setLease(db: Db, workspaceId: string, day: string, until: ReturnType<typeof sql<Date>>): Promise<void> {
  await db.updateTable('loyalty_daily_runs').set({ lease_until: until, updated_at: sql<Date>`now()` })
    .where('workspace_id', '=', workspaceId).where('day', '=', day).where('status', '=', 'running').execute();
}
