import type { AppContext } from '../../platform/http/context.js';
import { settleAllPendingIdentities } from '../../modules/identity/index.js';
import { loadDemoIfEmpty } from '../../modules/demo/index.js';
import { collectGarbage } from '../../platform/memory.js';
import type { BackgroundStarter } from './background.js';

/**
 * Identity work a crashed process left between its two transactions is finished at start-up, and a sweep every
 * 30 s catches any batch whose merge step failed (e.g. lost a deadlock) after its records were committed.
 */
export const settleIdentitiesInBackground: BackgroundStarter = async (ctx: AppContext, opts) => {
  const settled = await settleAllPendingIdentities(ctx.database.db);
  if (settled) opts.log(`finished interrupted identity resolution in ${settled} workspace(s)`);
  const timer = setInterval(() => {
    settleAllPendingIdentities(ctx.database.db).catch((err) => opts.log(`identity sweep failed: ${(err as Error).message}`));
  }, 30_000);
  timer.unref();
  return async () => clearInterval(timer);
};

/** First start with an empty database: load the demo brand in the background while the server already answers. */
export const loadDemoInBackground: BackgroundStarter = async (ctx, opts) => {
  if (!opts.loadDemo) return;
  let stopped = false;
  const loading = loadDemoIfEmpty(ctx.database.db, {
    onProgress: (p) => {
      if (stopped) throw new Error('server stopping');
      if (p.step === 'members') opts.log(`loading the demo brand: ${p.members}/${p.totalMembers} members, ${p.events} events, ${p.orders} orders`);
      else opts.log(`loading the demo brand: ${p.members} members loaded; computing 30 days of lifecycle stages, RFM and journeys`);
    },
  })
    .then(async (r) => {
      // Loading grew embedded PostgreSQL's heap; a restart of it gives the memory back (no-op on PostgreSQL).
      if (r) await ctx.database.recycle?.();
      // The generation's objects are garbage now; collect them at once so the heap shrinks before the first visitor.
      if (r) collectGarbage();
      if (r) opts.log(`demo brand loaded: workspace ${r.workspaceId}; console login ${r.login.email} / ${r.login.password}; write key ${r.writeKey}; admin token ${r.adminToken}`);
    })
    .catch((err) => {
      if (!stopped) opts.log(`loading the demo brand failed: ${(err as Error).message}`);
    });
  return async () => {
    stopped = true;
    await loading;
  };
};
