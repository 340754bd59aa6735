import type { Db } from '../../platform/db/database.js';
import { dayIn } from '../rules/index.js';
import { claimDailyPass, finishDailyPass, releaseDailyPass, renewDailyPass } from './daily-claim.js';
import { processAllProfileChanges, runDailyPass } from './evaluation.js';

/**
 * The rules worker of a serving process, as two loops that never wait for each other: real time drains the profile
 * change feed every `intervalMs`; the daily pass (lapsing time windows, once per workspace per calendar day in the
 * workspace's time zone) runs beside it, each of its steps holding real-time passes of that workspace back only
 * while the step runs (runDailyPass). In one loop, the daily pass held real-time work for its whole length
 * (30–170 s in the benchmarks). The day's pass is claimed in the database (daily-claim.ts), so several serving
 * processes, or a restarted one, run it once per workspace per day.
 */
export function startRulesWorker(
  db: Db,
  opts: { intervalMs?: number; log?: (message: string) => void; /** limit to one workspace (tests) */ workspaceId?: string; /** the embedded database: see StateSelection.pairsOnly */ pairsOnly?: boolean } = {},
): () => Promise<void> {
  let stopped = false;
  const realTime = async () => {
    // PostgreSQL: claims grow to 2,000 profiles while the feed is behind, two passes at a time. The embedded database
    // (one connection, a WebAssembly heap that never shrinks) keeps one pass of 500.
    await processAllProfileChanges(db, { workspaceId: opts.workspaceId, pairsOnly: opts.pairsOnly, maxLimit: opts.pairsOnly ? 500 : 2000, inFlight: opts.pairsOnly ? 1 : 2 });
  };
  const daily = async () => {
    let q = db.selectFrom('workspaces').select(['id', 'timezone']);
    if (opts.workspaceId) q = q.where('id', '=', opts.workspaceId);
    for (const ws of await q.execute()) {
      if (stopped) return;
      const today = dayIn(new Date(), ws.timezone);
      if (!(await claimDailyPass(db, ws.id, today))) continue;
      const started = performance.now();
      try {
        await runDailyPass(db, ws.id, new Date(), () => renewDailyPass(db, ws.id, today));
      } catch (err) {
        await releaseDailyPass(db, ws.id, today).catch(() => undefined);
        throw err;
      }
      await finishDailyPass(db, ws.id, today);
      opts.log?.(`rules worker: daily pass of ${ws.id} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  const loops = [loop(realTime), loop(daily)];
  function loop(tick: () => Promise<void>) {
    let busy = false;
    let running: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      if (busy || stopped) return;
      busy = true;
      running = tick()
        .catch((err) => opts.log?.(`rules worker: ${(err as Error).message}`))
        .finally(() => {
          busy = false;
        });
    }, opts.intervalMs ?? 200);
    return { stop: () => clearInterval(timer), done: () => running };
  }
  return async () => {
    stopped = true;
    for (const l of loops) l.stop();
    await Promise.all(loops.map((l) => l.done()));
  };
}
