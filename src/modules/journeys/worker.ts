import type { Db } from '../../platform/db/database.js';
import { createAnswerRecorders, createCallLimiter } from '../channels/index.js';
import { advanceDue, type DueFloor, type OutboxHandoff } from './advance.js';
import { liveJourneys } from './entries.js';
import { deliverOutboxBatch } from './batch-sender.js';
import { claimOutbox, renewLease, type OutboxRow } from './sender.js';
import { consumeEvents, consumeTagChanges, runSchedules } from './triggers.js';

/** Positions due within this long are moved ahead of an older backlog. */
const FRESH_LANE_MS = 1_000;
/** While the backlog waits for the sender (backpressure), the fresh lane runs at most this often. */
const FRESH_LANE_WAITING_MS = 200;
/** A mover walks the due index from its start at least every this many chunks (see DueFloor). */
const FULL_WALK_EVERY = 20;

export interface JourneyPassOptions {
  publicUrl: string;
  /** The clock (tests move it forward); default: the real time at each step. */
  now?: () => Date;
  /** Positions moved per transaction. */
  chunk?: number;
  /** Chunks moved at once (each its own transaction; they share the due positions through SKIP LOCKED). Default 1. */
  movers?: number;
  /** How long a claimed outbox row is left alone before another sender may take it over. */
  leaseMs?: number;
  /** Provider calls in flight at once. Default 32. */
  sendConcurrency?: number;
  /**
   * Calls made whose answer is not committed yet (the group commit of answers runs beside the calls): the most a
   * killed sender can leave made-but-unrecorded, sent again under the same idempotency key. Default 4 × sendConcurrency.
   */
  maxUnrecorded?: number;
  /**
   * Outbox rows claimed per batch (loaded, checked and recorded set-based). Keep a batch well inside the lease, or
   * another sender takes it over. Default 256.
   */
  sendBatch?: number;
  /**
   * Claimed batches under way at once (each loads, checks and records its rows while the others' calls run): more
   * hide more database latency behind the calls. Default 2.
   */
  sendBatchesUnderway?: number;
  /** Answer group writes under way at once (see createAnswerRecorders). Default 2. */
  answerWriters?: number;
  /** Only this workspace's work (tests, operator tools); default: every workspace. */
  workspaceId?: string;
  /** Run date and cron triggers in this pass. */
  schedules?: boolean;
  /** Hand the mover's outbox rows straight to this pass's sender (see OutboxHandoff). Default true. */
  handoff?: boolean;
  /** Counters the pass adds to as it goes (a caller may watch a long pass); also returned. */
  counts?: PassCounts;
}

export interface PassCounts {
  events: number;
  moved: number;
  sent: number;
}

/**
 * One pass of all journey work: triggers (events, tags, schedules) → moving due positions → delivering the outbox
 * (after the first batch of triggers, all three side by side).
 * Every step is a transaction on the database, so a pass may stop anywhere (kill -9) and the next one carries on.
 */
export async function runJourneyPass(db: Db, opts: JourneyPassOptions): Promise<PassCounts> {
  const now = opts.now ?? (() => new Date());
  const chunk = opts.chunk ?? 500;
  const counts: PassCounts = opts.counts ?? { events: 0, moved: 0, sent: 0 };
  const live = await liveJourneys(db, opts.workspaceId);
  const workspaces = [...new Set(live.map((j) => j.workspaceId))];
  // Each workspace's first batch of events and tag changes is handled before anything moves (a goal or exit event
  // applies before the person it concerns moves on); the rest of a bulk (a segment of a million people entering
  // through their Segment Entered events) is read beside the mover and the sender, so entering, moving and sending
  // overlap instead of taking turns.
  const more: Array<{ ws: string; events: boolean; tags: boolean }> = [];
  for (const ws of workspaces) {
    const events = await consumeEvents(db, ws, now());
    const tags = await consumeTagChanges(db, ws, now());
    counts.events += events + tags;
    more.push({ ws, events: events > 0, tags: tags > 0 });
  }
  if (opts.schedules !== false) {
    const zones = new Map((await db.selectFrom('workspaces').select(['id', 'timezone']).where('id', 'in', workspaces.length ? workspaces : ['']).execute()).map((w) => [w.id, w.timezone]));
    for (const j of live) {
      if (j.definition.trigger.type === 'schedule' || j.definition.trigger.type === 'date') await runSchedules(db, j, zones.get(j.workspaceId) ?? 'UTC', now());
    }
  }
  let triggersDone = false;
  const triggering = (async () => {
    try {
      for (const m of more) {
        if (m.events) {
          // A read that met writers still running leaves its stretch pending and reads nothing until they end (the
          // mover's and sender's own transactions, a few ms): wait for them a little rather than end the pass.
          for (let n = 1, waits = 0; n > 0 || ((await feedPending(db, m.ws)) && waits++ < 40 && (await sleep(25), true)); ) {
            counts.events += n = await consumeEvents(db, m.ws, now());
          }
        }
        if (m.tags) for (let n = 1; n > 0; ) counts.events += n = await consumeTagChanges(db, m.ws, now());
      }
    } finally {
      triggersDone = true;
    }
  })();
  triggering.catch(() => undefined); // awaited below
  // Moving positions (database work) and delivering the outbox (mostly waiting on providers) run side by side: the
  // sender keeps taking work while the mover is still writing outbox rows, and stops once both are out of work. The
  // mover writes the rows it makes already claimed and hands them to this sender (OutboxHandoff) while the sender
  // has fewer than `handoffLimit` of them waiting; beyond that, or from other processes, rows go through the claim.
  const leaseMs = opts.leaseMs ?? 60_000;
  const sendBatch = opts.sendBatch ?? 256;
  const handoffLimit = Math.max(2 * chunk, 4 * sendBatch);
  const handed: Array<{ rows: OutboxRow[]; at: number }> = [];
  let handedCount = 0;
  let wakeSender: (() => void) | undefined;
  // The fresh lane's rows are always handed, at the front of the queue: written pending instead (as when the queue
  // was full), they waited for the claim until the backlog had been handed and sent — moved on time, sent last (a
  // 1,000,000-person entry keeps the lane busy: its rows piled up in the outbox and made the run's tail). The lane
  // moves at most a tenth of a chunk per FRESH_LANE_WAITING_MS while the queue is full, so the queue stays bounded.
  const handoff = (lane: 'backlog' | 'fresh' = 'backlog'): OutboxHandoff | undefined =>
    opts.handoff === false || (lane === 'backlog' && handedCount >= handoffLimit)
      ? undefined
      : {
          leaseUntil: new Date(now().getTime() + leaseMs),
          take: (rows) => {
            const batches = [];
            for (let i = 0; i < rows.length; i += sendBatch) batches.push({ rows: rows.slice(i, i + sendBatch), at: Date.now() });
            if (lane === 'fresh') handed.unshift(...batches);
            else handed.push(...batches);
            handedCount += rows.length;
            wakeSender?.();
          },
        };
  let movesDone = false;
  // Oldest first; before each chunk of the backlog, a small chunk of what fell due in the last second (first mover
  // only). A mover stops at a short chunk once the triggers are done (else it waits for more people to enter).
  // Several movers (`movers`) share the backlog through SKIP LOCKED, as workers in several processes do.
  // After a full chunk the next one walks the due index from the last due time taken (DueFloor); every
  // FULL_WALK_EVERY chunks, and after a short one, from the start (a paused journey resumed, a position another
  // worker had locked and let go).
  // Backpressure: while the sender has `handoffLimit` handed rows waiting, the backlog waits too (the fresh lane goes
  // on, so timers keep their time). Moving people into the outbox faster than they are sent only grew a backlog of
  // pending rows that the sender then had to claim — one UPDATE and a walk of the due index per batch, slower as it
  // grew (1,000,000 people: half a million rows waiting) — while every row handed is sent without a claim.
  let senderDone = false;
  let wakeMover: (() => void) | undefined;
  const roomForMore = async (fresh: boolean) => {
    for (let lane = 0; opts.handoff !== false && handedCount >= handoffLimit && !senderDone; ) {
      if (fresh && Date.now() - lane >= FRESH_LANE_WAITING_MS) {
        lane = Date.now();
        const f = await advanceDue(db, now(), Math.max(1, Math.floor(chunk / 10)), opts.workspaceId, FRESH_LANE_MS, handoff('fresh'));
        counts.moved += f;
      }
      await new Promise<void>((r) => ((wakeMover = r), setTimeout(r, 25)));
    }
  };
  const mover = async (fresh: boolean) => {
    const floor: DueFloor = {};
    for (let i = 1; ; i++) {
      await roomForMore(fresh);
      const entering = !triggersDone;
      // (`counts.moved += await …` would read the counter before the await: movers running side by side lose counts.)
      const f = fresh ? await advanceDue(db, now(), Math.max(1, Math.floor(chunk / 10)), opts.workspaceId, FRESH_LANE_MS, handoff('fresh')) : 0;
      floor.from = i % FULL_WALK_EVERY === 0 ? undefined : floor.from;
      const n = await advanceDue(db, now(), chunk, opts.workspaceId, undefined, handoff(), floor);
      counts.moved += f + n;
      floor.from = n === chunk ? floor.last : undefined;
      if (n === chunk) continue;
      if (!entering) break;
      await Promise.race([triggering, new Promise((r) => setTimeout(r, 25))]);
    }
  };
  const moving = (async () => {
    try {
      const ends = await Promise.allSettled(Array.from({ length: Math.max(1, opts.movers ?? 1) }, (_, i) => mover(i === 0)));
      for (const e of ends) if (e.status === 'rejected') throw e.reason;
    } finally {
      movesDone = true;
      wakeSender?.();
    }
  })();
  const sending = (async () => {
    // One bound on provider calls for the sender as a whole; several batches under way (sendBatchesUnderway), so the
    // next one is claimed, loaded and checked while the previous one's last calls finish.
    const limiter = createCallLimiter(opts.sendConcurrency ?? 32);
    const unrecorded = createCallLimiter(opts.maxUnrecorded ?? 4 * (opts.sendConcurrency ?? 32));
    const recorders = createAnswerRecorders({ writers: opts.answerWriters ?? 2 });
    const underway: Promise<void>[] = [];
    try {
      for (;;) {
        const last = movesDone;
        const given = handed.shift();
        if (given) {
          handedCount -= given.rows.length;
          wakeMover?.();
        }
        // A handed batch that waited a third of its lease is left to the claim once the lease runs out (it is not
        // renewed from here, so another sender may take it over by then).
        if (given && Date.now() - given.at > leaseMs / 3) continue;
        const rows = given ? given.rows : await claimOutbox(db, now(), sendBatch, leaseMs, opts.workspaceId);
        if (rows.length === 0) {
          if (last && handed.length === 0) break;
          await Promise.race([moving, new Promise<void>((r) => ((wakeSender = r), setTimeout(r, 25)))]);
          continue;
        }
        const batch = withLease(db, rows, leaseMs, now, () => deliverOutboxBatch(db, opts.publicUrl, rows, { limiter, unrecorded, recorders }));
        batch.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
        underway.push(batch);
        counts.sent += rows.length;
        if (underway.length >= (opts.sendBatchesUnderway ?? 2)) await underway.shift();
      }
    } finally {
      senderDone = true;
      wakeMover?.();
      await Promise.allSettled(underway);
    }
    for (const b of underway) await b;
  })();
  const [entered, moved, sent] = await Promise.allSettled([triggering, moving, sending]);
  if (entered.status === 'rejected') throw entered.reason;
  if (moved.status === 'rejected') throw moved.reason;
  if (sent.status === 'rejected') throw sent.reason;
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the workspace's event feed has a stretch waiting for writers to end. */
async function feedPending(db: Db, workspaceId: string): Promise<boolean> {
  const row = await db.selectFrom('journey_cursors').select('pending').where('workspace_id', '=', workspaceId).where('source', '=', 'events').executeTakeFirst();
  return !!row?.pending;
}

/**
 * Runs a batch while renewing its claim every third of the lease, so a long batch (slow or timing-out providers)
 * keeps its rows; a sender that dies stops renewing and its rows are free again one lease later.
 */
async function withLease<T>(db: Db, rows: Parameters<typeof renewLease>[1], leaseMs: number, now: () => Date, work: () => Promise<T>): Promise<T> {
  let renewing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = renewing.then(() => renewLease(db, rows, new Date(now().getTime() + leaseMs))).catch(() => undefined);
  }, Math.max(50, Math.floor(leaseMs / 3)));
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await renewing;
  }
}

/** Runs passes until one finds nothing to do (tests and the CLI); `now` fixed per call. */
export async function drainJourneys(db: Db, opts: JourneyPassOptions, maxPasses = 50): Promise<PassCounts> {
  const total: PassCounts = { events: 0, moved: 0, sent: 0 };
  for (let i = 0; i < maxPasses; i++) {
    const c = await runJourneyPass(db, opts);
    total.events += c.events;
    total.moved += c.moved;
    total.sent += c.sent;
    if (c.events + c.moved + c.sent === 0) break;
  }
  return total;
}

/**
 * The serving process's journey worker: a pass whenever the previous one found work, else every `pollMs`. Schedules
 * are looked at every 15 s. Returns the stop function (waits for the pass under way).
 */
export function startJourneyWorker(
  db: Db,
  opts: { log: (message: string) => void; publicUrl?: string; pollMs?: number; leaseMs?: number; chunk?: number; sendConcurrency?: number; maxUnrecorded?: number; sendBatch?: number },
): () => Promise<void> {
  let stopped = false;
  let lastSchedules = 0;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      let busy = false;
      try {
        const schedules = Date.now() - lastSchedules > 15_000;
        if (schedules) lastSchedules = Date.now();
        const c = await runJourneyPass(db, { publicUrl: opts.publicUrl ?? 'http://127.0.0.1:3000', leaseMs: opts.leaseMs, chunk: opts.chunk, sendConcurrency: opts.sendConcurrency, maxUnrecorded: opts.maxUnrecorded, sendBatch: opts.sendBatch, schedules });
        busy = c.events + c.moved + c.sent > 0;
      } catch (err) {
        opts.log(`journey worker: ${(err as Error).message}`);
      }
      if (!busy && !stopped) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, opts.pollMs ?? 1000)));
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
  };
}
