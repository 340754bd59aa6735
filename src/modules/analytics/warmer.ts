import type { Db } from '../../platform/db/database.js';
import { warmOverviewRollup } from './rollup.js';

/**
 * Keeps every workspace's overview roll-up built for its local today, checking every `intervalMs` (a read of one
 * row per workspace when nothing is due), so no operator's first visit of the day waits for the pass.
 */
export function startOverviewRollupWarmer(db: Db, opts: { intervalMs?: number; log?: (message: string) => void } = {}): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = async () => {
    const workspaces = await db.selectFrom('workspaces').select('id').execute();
    for (const ws of workspaces) {
      if (stopped) return;
      await warmOverviewRollup(db, ws.id).catch((err: Error) => opts.log?.(`overview roll-up of ${ws.id} failed: ${err.message}`));
    }
  };
  const run = () => {
    running = running.then(tick).catch((err: Error) => opts.log?.(`overview roll-up warmer: ${err.message}`));
  };
  const timer = setInterval(run, opts.intervalMs ?? 5 * 60_000);
  timer.unref();
  run();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
