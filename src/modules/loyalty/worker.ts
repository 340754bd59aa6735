import type { Db } from '../../platform/db/database.js';
import { releaseDuePending } from './pending.js';
import { expireDuePoints } from './points.js';
import { expireDueCoupons } from './coupons.js';
import { evaluateTiers } from './tiers.js';
import { announceExpiringPoints } from './expiry-notice.js';
import { grantBirthdayGifts } from './birthday.js';

/**
 * The loyalty jobs of a serving process: every few minutes, for each workspace, pending points whose refund window
 * passed are released, due lots and coupons expire; once a day tiers are evaluated (downgrades with grace) expiring points are announced and birthday gifts handed out. Each
 * job is idempotent and per-profile transactional, so two processes running it at once do no harm.
 */
export function startLoyaltyWorker(db: Db, opts: { log: (message: string) => void; everyMs?: number }): () => Promise<void> {
  let running: Promise<void> | null = null;
  let lastTierDay = '';
  const tick = async () => {
    const workspaces = await db.selectFrom('workspaces').select('id').execute();
    const today = new Date().toISOString().slice(0, 10);
    for (const { id } of workspaces) {
      await releaseDuePending(db, id);
      await expireDuePoints(db, id);
      await expireDueCoupons(db, id);
      if (lastTierDay !== today) {
        await evaluateTiers(db, id);
        await announceExpiringPoints(db, id);
        await grantBirthdayGifts(db, id);
      }
    }
    lastTierDay = today;
  };
  const timer = setInterval(() => {
    if (running) return;
    running = tick()
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
