import type { AppContext } from '../../platform/http/context.js';

export interface BackgroundWork {
  stop(): Promise<void>;
}

/**
 * Work a process runs besides HTTP: the demo brand on first start, identity recompute sweeps, rule evaluation,
 * journey and loyalty workers. Each piece registers a starter here; `roles` picks which run in this process.
 */
export async function startBackgroundWork(
  ctx: AppContext,
  opts: { loadDemo: boolean; log: (message: string) => void; roles?: BackgroundRole[] },
): Promise<BackgroundWork> {
  const roles = opts.roles ?? ['serving', 'worker'];
  const stops: Array<() => Promise<void>> = [];
  for (const { starter, role } of starters) {
    if (!roles.includes(role)) continue;
    const stop = await starter(ctx, opts);
    if (stop) stops.push(stop);
  }
  return {
    async stop() {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

export type BackgroundStarter = (
  ctx: AppContext,
  opts: { loadDemo: boolean; log: (message: string) => void },
) => Promise<(() => Promise<void>) | void>;

/**
 * `worker`: work any number of processes may share on PostgreSQL (rules, journeys, loyalty jobs, identity sweeps);
 * `siyu worker` runs only these, `siyu serve --no-workers` none of them. `serving`: the serving process's own (the
 * demo brand's first load).
 */
export type BackgroundRole = 'serving' | 'worker';

const starters: Array<{ starter: BackgroundStarter; role: BackgroundRole }> = [];
export function addBackgroundStarter(starter: BackgroundStarter, role: BackgroundRole = 'worker'): void {
  starters.push({ starter, role });
}
