import type { Db } from '../../platform/db/database.js';
import { runLoyaltyTick } from './daily.js';

/**
 * The loyalty jobs of a serving process: every few minutes a pass over the workspaces (daily.ts) releases pending
 * points, expires due lots and coupons, and, once per workspace per local day (claimed in the database, so several
 * processes or a restart run it once), evaluates tiers, announces expiring points and hands out birthday gifts.
 * Each job is idempotent and per-profile transactional, so two processes running a pass at once do no harm.
 */
export function startLoyaltyWorker(db: Db, opts: { log: (message: string) => void; everyMs?: number; now?: () => Date }): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = runLoyaltyTick(db, { now: opts.now?.(), log: opts.log })
      .catch((err: Error) => opts.log(`loyalty jobs failed: ${err.message}`))
      .finally(() => {
        running = null;
      });
  }, opts.everyMs ?? 5 * 60_000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
