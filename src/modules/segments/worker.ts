import type { Db } from '../../platform/db/database.js';
import { dayIn } from '../rules/index.js';
import { claimDailyPass, finishDailyPass, releaseDailyPass, renewDailyPass } from './daily-claim.js';
import { processAllProfileChanges, releaseStaleClaims, runDailyPass } from './evaluation.js';

/**
 * Profiles per claim while ingest is behind: one claim per lane per behindIntervalMs. The embedded database keeps its
 * claims of 500 (a larger pass grows its WebAssembly heap, which never shrinks).
 */
const BEHIND_CLAIM = 4_000;
const BEHIND_CLAIM_EMBEDDED = 500;

/** How often the worker looks for claims left by a worker that died (they turn stale after 10 minutes). */
const STALE_CHECK_MS = 60_000;

/**
 * The rules worker of a serving process, as loops that never wait for each other: real time (two lanes on
 * PostgreSQL) drains the profile change feed every `intervalMs`; the daily pass (lapsing time windows, once per
 * workspace per calendar day in the workspace's time zone) runs beside it, each of its steps holding real-time
 * passes of that workspace back only while the step runs (runDailyPass). In one loop, the daily pass held real-time
 * work for its whole length (30–170 s in the benchmarks). The day's pass is claimed in the database
 * (daily-claim.ts), so several serving processes, or a restarted one, run it once per workspace per day.
 */
export function startRulesWorker(
  db: Db,
  opts: {
    intervalMs?: number;
    log?: (message: string) => void;
    /** limit to one workspace (tests) */
    workspaceId?: string;
    /** the embedded database: see StateSelection.pairsOnly */
    pairsOnly?: boolean;
    /** Whether ingest in this process is behind (the server passes the ingest module's intakeIsBehind). */
    ingestBehind?: () => boolean;
    /**
     * While true, real-time passes wait (checked every behindIntervalMs): the server passes "the demo brand is loading",
     * whose end computes the stages and RFM of everyone at once; passes during it only slowed the load (×3.5).
     */
    paused?: () => boolean;
    /** Between a lane's passes while ingest is behind (default 1,000 ms)… */
    behindIntervalMs?: number;
    /** …and the profiles of its one claim (default 4,000). */
    behindClaim?: number;
  } = {},
): () => Promise<void> {
  let stopped = false;
  let staleCheckedAt = 0;
  const realTime = async (behind: boolean) => {
    // Claims of a worker that died go back on the feed; they turn stale after minutes, so looking once a minute is enough.
    if (Date.now() - staleCheckedAt >= STALE_CHECK_MS) {
      staleCheckedAt = Date.now();
      await releaseStaleClaims(db);
    }
    // PostgreSQL: claims grow to 1,000 profiles while the feed is behind, in each of two lanes. Behind, the oldest
    // change waits for a lane to come free and then for its own pass, ~3 passes' worth of profiles at the rate the
    // lanes decide: at 5,000 profiles/s, 1.2 s with claims of 2,000, which alone missed the 1 s target (CPU per
    // profile in bench/realtime-decide.ts did not differ measurably between claims of 500, 1,000 and 2,000).
    // The embedded database (one connection, a WebAssembly heap that never shrinks) keeps one lane of 500.
    // While ingest is behind (its intake holds seconds of events, so the real-time budget is spent before a change
    // reaches the feed), each lane takes one large claim per behindIntervalMs instead of draining the feed back to
    // back: a profile touched by several drains meanwhile is evaluated once, and the CPU goes to applying. Passes
    // after every drain cost ~35 µs per ingested event (bench/ingest-apply.ts --server-like), a third of the rest.
    if (behind) {
      await processAllProfileChanges(db, { workspaceId: opts.workspaceId, pairsOnly: opts.pairsOnly, limit: opts.behindClaim ?? (opts.pairsOnly ? BEHIND_CLAIM_EMBEDDED : BEHIND_CLAIM), oneClaim: true, releaseStale: false });
      return;
    }
    await processAllProfileChanges(db, { workspaceId: opts.workspaceId, pairsOnly: opts.pairsOnly, maxLimit: opts.pairsOnly ? 500 : 1000, releaseStale: false });
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
        await runDailyPass(db, ws.id, undefined, () => renewDailyPass(db, ws.id, today));
      } catch (err) {
        await releaseDailyPass(db, ws.id, today).catch(() => undefined);
        throw err;
      }
      await finishDailyPass(db, ws.id, today);
      opts.log?.(`rules worker: daily pass of ${ws.id} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  // Real-time lanes are loops of their own, so one lane's long pass never holds another back from the next claim
  // (within one drain, a lane that found the feed empty waited for the other to finish); their starts are staggered,
  // so between them the feed is looked at every intervalMs / lanes. A loop runs again intervalMs after its last run
  // began, or at once if that run took longer: with a fixed tick, a lane whose drain ended just after a tick waited
  // for the next one (up to intervalMs, ~100 ms on average with two lanes) while changes queued behind it.
  const interval = opts.intervalMs ?? 200;
  const behindInterval = opts.behindIntervalMs ?? 1_000;
  const lanes = opts.pairsOnly ? 1 : 2;
  const realTimeTick = () => {
    if (opts.paused?.()) return { run: Promise.resolve(), intervalMs: behindInterval };
    const behind = opts.ingestBehind?.() ?? false;
    return { run: realTime(behind), intervalMs: behind ? behindInterval : interval };
  };
  const dailyTick = () => ({ run: daily(), intervalMs: interval });
  const loops = [...Array.from({ length: lanes }, (_, i) => loop(realTimeTick, (i * interval) / lanes)), loop(dailyTick, 0)];
  function loop(tick: () => { run: Promise<void>; intervalMs: number }, delayMs: number) {
    let running: Promise<void> = Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      if (stopped) return;
      const started = performance.now();
      const { run: ticking, intervalMs } = tick();
      running = ticking
        .catch((err) => opts.log?.(`rules worker: ${(err as Error).message}`))
        .finally(() => {
          if (!stopped) timer = setTimeout(run, Math.max(0, intervalMs - (performance.now() - started)));
        });
    };
    timer = setTimeout(run, delayMs);
    return { stop: () => clearTimeout(timer), done: () => running };
  }
  return async () => {
    stopped = true;
    for (const l of loops) l.stop();
    await Promise.all(loops.map((l) => l.done()));
  };
}
