import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { advisoryKey } from '../../platform/db/advisory.js';
import { computeRfm, refreshStages, snapshotDailyCounts } from '../lifecycle/index.js';
import { dependencyOrder, ruleGraph } from '../rules/index.js';
import { recomputeRuleTag } from '../tags/index.js';
import { recomputeRuleSegment } from './materialise.js';
import { evaluateProfiles, ruleOwners, type ProfileChange } from './realtime.js';

export { evaluateProfiles } from './realtime.js';

/**
 * Keeps rule tags, rule segments and AIPL stages true. Real time: consume the profile_changes feed and re-decide
 * only those profiles from their own rows, and only what their change can affect (realtime.ts). Full: set-based recompute of one owner and everything depending on it,
 * or of everything (the daily pass, for time windows that lapse with no new data).
 */
/** A claim older than this belongs to a worker that died mid-evaluation: its profiles go back on the feed. */
const STALE_CLAIM_MS = 10 * 60_000;

/**
 * Takes up to `limit` profiles off the change feed and re-evaluates them. The claim is one statement, in the function
 * siyu_claim_profile_changes (migration 0126, which reads the feed through its queue index). The profiles are picked once (a
 * materialised CTE): as `profile_id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`, with the feed's statistics from
 * when it was empty, the planner re-ran the subquery for every feed row (nested-loop semi join), so the LIMIT did not
 * hold (a claim took the whole backlog) and the claim cost grew with the square of the backlog (2.2 s for 2,000).
 * Oldest first by the time each profile went on the feed (queued_at, migration 0124): changed_at moves on as a
 * queued profile's change widens. The picked rows are locked, so their row addresses are deleted directly. The
 * claim (moving the rows to profile_change_claims) is its own short transaction, so ingest, which writes the feed,
 * never waits for an evaluation; a change that arrives while a profile is being evaluated goes back on the feed and is evaluated
 * again. The evaluation and the claim's release commit together; if the evaluation fails the profiles go back
 * at once, and if the process dies they go back when the claim turns stale. SKIP LOCKED lets several workers
 * share the feed on PostgreSQL.
 */
export async function processProfileChanges(
  db: Db,
  workspaceId: string,
  opts: { now?: Date; limit?: number; pairsOnly?: boolean } = {},
): Promise<{ profiles: number; changes: number; decisions: number }> {
  const claim = crypto.randomUUID();
  // Picks, deletes and moves the rows in one statement (the function is that statement, read through the queue index).
  const { rows } = await sql<{ profile_id: number; everything: boolean; event_names: string[]; traits_changed: boolean }>`
    SELECT profile_id, everything, event_names, traits_changed FROM siyu_claim_profile_changes(${workspaceId}, ${claim}, ${opts.limit ?? 500})`.execute(db);
  if (rows.length === 0) return { profiles: 0, changes: 0, decisions: 0 };
  const changed: ProfileChange[] = rows.map((r) => ({ profileId: r.profile_id, everything: r.everything, events: r.event_names, traits: r.traits_changed }));
  try {
    return await db.transaction().execute(async (trx) => {
      // Shared with other real-time passes; the daily pass's steps take it exclusively, one step at a time.
      await lockRulesShared(trx, workspaceId);
      const { changes, decisions } = await evaluateProfiles(trx, workspaceId, changed, opts.now ?? new Date(), { pairsOnly: opts.pairsOnly });
      await sql`DELETE FROM profile_change_claims WHERE workspace_id = ${workspaceId} AND claim = ${claim}`.execute(trx);
      return { profiles: rows.length, changes, decisions };
    });
  } catch (err) {
    await releaseClaims(db, sql`workspace_id = ${workspaceId} AND claim = ${claim}`);
    throw err;
  }
}

/** Puts claimed profiles back on the change feed, their scope merged with anything queued for them since. */
async function releaseClaims(db: Db, where: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH back AS (DELETE FROM profile_change_claims WHERE ${where} RETURNING workspace_id, profile_id, everything, event_names, traits_changed, queued_at),
    ins AS (
      INSERT INTO profile_changes AS c (workspace_id, profile_id, everything, event_names, traits_changed, scoped, queued_at)
      SELECT workspace_id, profile_id, bool_or(everything), coalesce(array_agg(DISTINCT n) FILTER (WHERE n IS NOT NULL), '{}'), bool_or(traits_changed), true, min(queued_at)
      FROM back LEFT JOIN LATERAL unnest(back.event_names) AS n ON true GROUP BY workspace_id, profile_id
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET
        everything = c.everything OR excluded.everything,
        event_names = ARRAY(SELECT DISTINCT x FROM unnest(c.event_names || excluded.event_names) AS x),
        traits_changed = c.traits_changed OR excluded.traits_changed,
        scoped = true,
        queued_at = least(c.queued_at, excluded.queued_at)
    )
    SELECT count(*)::int AS n FROM back`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * Returns the profiles of claims older than the stale limit (a worker died) to the change feed. Its scan of the claims
 * by age visits every claim row since the last vacuum (80 ms after 36,000 claimed profiles), so the worker runs it
 * once a minute, not on every tick.
 */
export async function releaseStaleClaims(db: Db, now: Date = new Date()): Promise<number> {
  return releaseClaims(db, sql`claimed_at < ${new Date(now.getTime() - STALE_CLAIM_MS)}`);
}

/**
 * Drains the change feed of every workspace once (the background worker calls this in a loop). The workspaces with
 * queued changes are found by one probe of the queue index each (`SELECT DISTINCT workspace_id` read the whole feed,
 * dead row versions included: 50 ms on a feed that had taken 150,000 changes since its last vacuum, on every tick of
 * every lane). `releaseStale: false` leaves stale claims to the caller (the worker looks for them once a minute).
 */
export async function processAllProfileChanges(db: Db, opts: DrainOptions & { workspaceId?: string; releaseStale?: boolean } = {}): Promise<number> {
  if (opts.releaseStale !== false) await releaseStaleClaims(db);
  const { rows: workspaces } = await sql<{ id: string }>`
    SELECT w.id FROM workspaces w CROSS JOIN LATERAL (SELECT 1 FROM profile_changes c WHERE c.workspace_id = w.id LIMIT 1) queued
    ${opts.workspaceId ? sql`WHERE w.id = ${opts.workspaceId}` : sql``}`.execute(db);
  let total = 0;
  for (const { id } of workspaces) total += await drainWorkspace(db, id, opts);
  return total;
}

interface DrainOptions {
  now?: Date;
  /** Profiles per claim (500). */
  limit?: number;
  /** While claims come back full (a backlog), each next claim takes twice as many, up to this (default: `limit`). */
  maxLimit?: number;
  /** Passes under way at once, each on its own claim (PostgreSQL; 1 on the embedded database's single connection). */
  inFlight?: number;
  pairsOnly?: boolean;
  /** Each lane takes one claim and stops, full or not (the worker while ingest is behind: it comes back later). */
  oneClaim?: boolean;
}

/**
 * Drains one workspace's feed. A full claim means a backlog: the next claim doubles, up to `maxLimit`, so a pass's
 * fixed cost (its dozen statements and their round trips) is spread over more profiles while the feed is behind, and
 * a pass stays small (quick) when it is not. With `inFlight` > 1 that many passes run at once, each on a claim of its
 * own (SKIP LOCKED), so one pass's round trips overlap another's work; a profile queued again while a pass has it is
 * evaluated again later, as with several workers. Each lane stops on its own short claim (the feed was empty): one
 * lane finding the feed empty does not stop another that is still taking full claims of a backlog.
 */
async function drainWorkspace(db: Db, workspaceId: string, opts: DrainOptions): Promise<number> {
  const base = opts.limit ?? 500;
  const max = Math.max(base, opts.maxLimit ?? base);
  let total = 0;
  let failed = false;
  const lane = async () => {
    let limit = base;
    while (!failed) {
      const asked = limit;
      // A failed pass (its profiles are back on the feed) stops the other lanes too: the worker's next tick starts over.
      const { profiles } = await processProfileChanges(db, workspaceId, { now: opts.now, limit: asked, pairsOnly: opts.pairsOnly }).catch((err) => {
        failed = true;
        throw err;
      });
      total += profiles;
      if (profiles < asked || opts.oneClaim) return;
      limit = Math.min(max, limit * 2);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.inFlight ?? 1) }, lane));
  return total;
}

/** Set-based recompute of one rule tag or segment, then of everything that depends on it. */
export async function recomputeWithDependents(db: Db, workspaceId: string, start: { kind: 'tag' | 'segment'; id: string }, now: Date): Promise<void> {
  const graph = await ruleGraph(db, workspaceId);
  const affected = new Set([`${start.kind}:${start.id}`]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [key, node] of graph) {
      if (!affected.has(key) && node.dependsOn.some((d) => affected.has(d))) {
        affected.add(key);
        grew = true;
      }
    }
  }
  for (const key of dependencyOrder(graph, [...affected])) await recomputeOwner(db, workspaceId, key, now);
}

async function recomputeOwner(db: Db, workspaceId: string, key: string, now: Date): Promise<void> {
  const [kind, ...rest] = key.split(':');
  const id = rest.join(':');
  if (kind === 'tag') await recomputeRuleTag(db, workspaceId, id, now);
  else await recomputeRuleSegment(db, workspaceId, id, now);
}

const rulesLockKey = (workspaceId: string) => `siyu-rules:${workspaceId}`;

/** Held (shared) by a real-time pass for its whole transaction; see exclusiveStep. */
export async function lockRulesShared(trx: Db, workspaceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock_shared(${advisoryKey(rulesLockKey(workspaceId))})`.execute(trx);
}

/**
 * Runs one step of the daily pass in its own transaction, holding the workspace's rules lock exclusively: a real-time
 * pass (which holds it shared for its whole transaction) is never under way at the same time as the step, so a
 * whole-workspace statement cannot write an answer from a snapshot older than a real-time decision committed
 * meanwhile (or miss its row). Real-time work waits for one step (one statement), not for the whole pass.
 */
export async function exclusiveStep(db: Db, workspaceId: string, step: (trx: Db) => Promise<unknown>): Promise<void> {
  const run = async (trx: Db) => {
    await sql`SELECT pg_advisory_xact_lock(${advisoryKey(rulesLockKey(workspaceId))})`.execute(trx);
    await step(trx);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

/**
 * The daily pass: stages (and their daily counts), RFM, then every rule tag and segment in dependency order. The
 * rules worker runs it in a loop of its own, beside the real-time loop; each step excludes real-time passes only
 * while it runs. Without a pinned `now`, each step decides as of its own start, taken once it holds the lock: with
 * one `now` for the whole pass (a minute or more), a step undid real-time decisions committed since the pass began
 * (a tag for an event newer than that `now` was removed, and nothing queued the profile again).
 */
export async function runDailyPass(db: Db, workspaceId: string, now?: Date, afterStep?: () => Promise<void>): Promise<void> {
  const at = () => now ?? new Date();
  await exclusiveStep(db, workspaceId, async (trx) => {
    const stepNow = at();
    await refreshStages(trx, workspaceId, stepNow);
    await snapshotDailyCounts(trx, workspaceId, stepNow);
  });
  await afterStep?.();
  await exclusiveStep(db, workspaceId, (trx) => computeRfm(trx, workspaceId, at()));
  await afterStep?.();
  for (const owner of await ruleOwners(db, workspaceId)) {
    await exclusiveStep(db, workspaceId, (trx) => recomputeOwner(trx, workspaceId, owner.key, at()));
    await afterStep?.();
  }
}
