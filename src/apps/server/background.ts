import type { AppContext } from '../../platform/http/context.js';

export interface BackgroundWork {
  stop(): Promise<void>;
}

/**
 * Work the serving process runs besides HTTP: the demo brand on first start, identity recompute sweeps, and (as
 * modules arrive) rule evaluation and journey workers. Each piece registers a starter here.
 */
export async function startBackgroundWork(
  ctx: AppContext,
  opts: { loadDemo: boolean; log: (message: string) => void },
): Promise<BackgroundWork> {
  const stops: Array<() => Promise<void>> = [];
  for (const starter of starters) {
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

const starters: BackgroundStarter[] = [];
export function addBackgroundStarter(starter: BackgroundStarter): void {
  starters.push(starter);
}
