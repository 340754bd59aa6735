import type { Db } from '../../platform/db/database.js';
import { dayIn } from '../rules/index.js';
import { processAllProfileChanges, runDailyPass } from './evaluation.js';

/**
 * The rules worker of a serving process: drains the profile change feed every `intervalMs` (real time), and runs
 * the daily pass once per workspace per calendar day (in the workspace's time zone) for lapsing time windows.
 */
export function startRulesWorker(
  db: Db,
  opts: { intervalMs?: number; log?: (message: string) => void; /** limit to one workspace (tests) */ workspaceId?: string } = {},
): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const lastDaily = new Map<string, string>();
  const tick = async () => {
    try {
      await processAllProfileChanges(db, { workspaceId: opts.workspaceId });
      let q = db.selectFrom('workspaces').select(['id', 'timezone']);
      if (opts.workspaceId) q = q.where('id', '=', opts.workspaceId);
      const workspaces = await q.execute();
      for (const ws of workspaces) {
        const today = dayIn(new Date(), ws.timezone);
        if (lastDaily.get(ws.id) === today) continue;
        lastDaily.set(ws.id, today);
        await runDailyPass(db, ws.id);
      }
    } catch (err) {
      opts.log?.(`rules worker: ${(err as Error).message}`);
    }
  };
  let busy = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    running = tick().finally(() => {
      busy = false;
    });
  }, opts.intervalMs ?? 200);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
