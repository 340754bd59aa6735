import { envNumber } from '../../platform/config.js';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { credit, debit, reverse, type LedgerResult } from './ledger.js';
import { expiryFor, getLoyaltySettings } from './settings.js';
import { workspaceZone } from './local-dates.js';
import { applyTierUpgrades } from './tier-upgrades.js';
import type { LoyaltySettings, SourceType } from './schema.js';

interface OpBase {
  profileId: number;
  /** Magnitude, > 0. */
  points: number;
  reason: string;
  sourceType: SourceType;
  sourceId?: string | null;
  idempotencyKey?: string | null;
  createdBy?: string | null;
  /** Upgrade the member's tier after the commit if this operation was applied and tiers are points-based. */
  retier?: boolean;
}

export type PointsOp =
  /** expiresAt undefined: the workspace's expiry policy, from the time of the flush. */
  | (OpBase & { op: 'credit'; kind: 'earn' | 'adjust'; expiresAt?: Date | null })
  | (OpBase & { op: 'take'; kind: 'redeem' | 'adjust' | 'reverse'; now: Date; allowDebt: boolean });

interface Waiter {
  op: PointsOp;
  resolve: (r: LedgerResult) => void;
  reject: (e: unknown) => void;
}

interface Outcome {
  waiter: Waiter;
  result?: LedgerResult;
  error?: unknown;
}

interface Queue {
  waiting: Waiter[];
  inFlight: number;
  /** Profiles with an operation in a running flush. */
  busy: Set<number>;
  scheduled: boolean;
}

/** Upper bound of operations per combined statement. SIYU_POINTS_GROUP=off: one per transaction (for comparisons). */
const GROUPING = process.env.SIYU_POINTS_GROUP !== 'off';
const MAX_OPS_PER_FLUSH = GROUPING ? 500 : 1;
const MAX_IN_FLIGHT = GROUPING ? Math.max(1, envNumber('SIYU_POINTS_PARALLEL', 4)) : 1_000;
/** A burst is split over the free connections, but not into transactions smaller than this. */
const MIN_OPS_PER_SPLIT = 8;
const queues = new WeakMap<Db, Map<string, Queue>>();
/** Flushes run and the largest one, for tests (the grouped path must really be taken). */
export const pointsFlushStats = { flushes: 0, largest: 0, fallbacks: 0 };

/**
 * Group commit for points operations, as ingest's (src/modules/ingest/group-commit.ts): operations of one
 * workspace that arrive while a flush is running wait, and the next flush runs them all in one statement and one
 * transaction (siyu_points_batch, migration 0304), in arrival order, so a busy server pays a round trip and a WAL
 * flush per batch instead of per operation. A lone operation runs at once through the one-operation functions.
 * Each caller gets its own outcome (applied, replayed, refused) only after the shared commit; a refusal does not
 * fail the others. If the combined statement fails (deadlock, a key racing another transaction…), nothing of it
 * was applied, and its operations are run again one by one, so an error belongs to the operation that caused it.
 */
export function submitPointsOp(db: Db, workspaceId: string, op: PointsOp): Promise<LedgerResult> {
  let byWorkspace = queues.get(db);
  if (!byWorkspace) queues.set(db, (byWorkspace = new Map()));
  let queue = byWorkspace.get(workspaceId);
  if (!queue) byWorkspace.set(workspaceId, (queue = { waiting: [], inFlight: 0, busy: new Set(), scheduled: false }));
  const q = queue;
  const done = new Promise<LedgerResult>((resolve, reject) => q.waiting.push({ op, resolve, reject }));
  schedule(db, workspaceId, q, byWorkspace);
  return done;
}

/**
 * Flushes start on the next turn of the event loop, not at once: operations submitted in the same turn (a burst of
 * requests, or the callers of the last flush coming back with their next operation) go out together.
 */
function schedule(db: Db, workspaceId: string, q: Queue, byWorkspace: Map<string, Queue>): void {
  if (!GROUPING) return pump(db, workspaceId, q, byWorkspace);
  if (q.scheduled) return;
  q.scheduled = true;
  setImmediate(() => {
    q.scheduled = false;
    pump(db, workspaceId, q, byWorkspace);
  });
}

function pump(db: Db, workspaceId: string, q: Queue, byWorkspace: Map<string, Queue>): void {
  while (q.inFlight < MAX_IN_FLIGHT && q.waiting.length) {
    // An account in a running flush is left to a later one: its operations stay in arrival order, and two flushes
    // never wait on each other's account locks.
    // A burst goes out over the free connections at once (each runs on its own server process), in transactions
    // of at least MIN_OPS_PER_SPLIT operations.
    const cap = Math.min(MAX_OPS_PER_FLUSH, Math.max(MIN_OPS_PER_SPLIT, Math.ceil(q.waiting.length / (MAX_IN_FLIGHT - q.inFlight))));
    const group: Waiter[] = [];
    const rest: Waiter[] = [];
    for (const w of q.waiting) {
      if (group.length < cap && !q.busy.has(w.op.profileId)) group.push(w);
      else rest.push(w);
    }
    if (group.length === 0) return;
    q.waiting = rest;
    const profiles = new Set(group.map((w) => w.op.profileId));
    for (const p of profiles) q.busy.add(p);
    q.inFlight++;
    void flush(db, workspaceId, group).finally(() => {
      q.inFlight--;
      for (const p of profiles) q.busy.delete(p);
      if (q.waiting.length) schedule(db, workspaceId, q, byWorkspace);
      else if (q.inFlight === 0 && !q.scheduled) byWorkspace.delete(workspaceId);
    });
  }
}

async function flush(db: Db, workspaceId: string, group: Waiter[]): Promise<void> {
  let settings: LoyaltySettings;
  let zone: string;
  try {
    settings = await getLoyaltySettings(db, workspaceId);
    zone = await workspaceZone(db, workspaceId);
  } catch (error) {
    for (const w of group) w.reject(error);
    return;
  }
  const now = new Date();
  for (const w of group) if (w.op.op === 'credit' && w.op.expiresAt === undefined) w.op.expiresAt = expiryFor(settings, now, zone);
  let outcomes: Outcome[];
  if (group.length === 1) outcomes = [await runAlone(db, workspaceId, group[0]!)];
  else {
    try {
      outcomes = await runTogether(db, workspaceId, group);
    } catch {
      pointsFlushStats.fallbacks += 1;
      outcomes = [];
      for (const w of group) outcomes.push(await runAlone(db, workspaceId, w));
    }
  }
  if (settings.tiers.basis === 'points') await upgradeTiers(db, workspaceId, outcomes, settings);
  pointsFlushStats.flushes += 1;
  pointsFlushStats.largest = Math.max(pointsFlushStats.largest, group.length);
  for (const o of outcomes) {
    if (o.error !== undefined) o.waiter.reject(o.error);
    else o.waiter.resolve(o.result!);
  }
}

/**
 * The ledger functions look the key up after taking the account lock, so a replay waits for its original and finds
 * it; should a replay still lose on the key's unique index (another account's operation using the key), running
 * again finds the original.
 */
export async function retryingReplayRace<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'points_entries_key') return fn();
    throw err;
  }
}

async function runAlone(db: Db, workspaceId: string, waiter: Waiter): Promise<Outcome> {
  const op = waiter.op;
  const base = { profileId: op.profileId, points: op.points, reason: op.reason, sourceType: op.sourceType, sourceId: op.sourceId, idempotencyKey: op.idempotencyKey, createdBy: op.createdBy };
  try {
    const result = await retryingReplayRace(() => {
      if (op.op === 'credit') return credit(db, workspaceId, { ...base, kind: op.kind, expiresAt: op.expiresAt ?? null });
      if (op.kind === 'reverse') return reverse(db, workspaceId, base, op.now);
      return debit(db, workspaceId, { ...base, kind: op.kind }, op.now);
    });
    return { waiter, result };
  } catch (error) {
    return { waiter, error };
  }
}

interface BatchRow {
  r_ord: string | number;
  r_status: 'ok' | 'insufficient' | 'conflict';
  r_entry_id: string | number | null;
  r_replayed: boolean | null;
  r_points: string | number | null;
  r_debt_recorded: string | number | null;
  r_balance: string | number | null;
  r_debt: string | number | null;
  r_pending: string | number | null;
  r_available: string | number | null;
}

async function runTogether(db: Db, workspaceId: string, group: Waiter[]): Promise<Outcome[]> {
  const doc = JSON.stringify(
    group.map(({ op }) => ({
      op: op.op,
      profile: op.profileId,
      points: op.points,
      kind: op.kind,
      reason: op.reason,
      source_type: op.sourceType,
      source_id: op.sourceId ?? null,
      key: op.idempotencyKey ?? null,
      created_by: op.createdBy ?? null,
      at: op.op === 'credit' ? (op.expiresAt ?? null) : op.now,
      allow_debt: op.op === 'take' ? op.allowDebt : false,
    })),
  );
  const { rows } = await sql<BatchRow>`SELECT * FROM siyu_points_batch(${workspaceId}, ${doc}::jsonb)`.execute(db);
  if (rows.length !== group.length) throw new Error(`points batch returned ${rows.length} results for ${group.length} operations`);
  return rows.map((row) => {
    const waiter = group[Number(row.r_ord) - 1]!;
    const { op } = waiter;
    if (row.r_status === 'insufficient') {
      return { waiter, error: new AppError('insufficient_points', `profile ${op.profileId} has ${Number(row.r_available)} points available, ${op.points} needed`) };
    }
    if (row.r_status === 'conflict') {
      return { waiter, error: new AppError('conflict', `idempotency key ${op.idempotencyKey} was used for another profile`) };
    }
    return {
      waiter,
      result: {
        entryId: Number(row.r_entry_id),
        replayed: row.r_replayed === true,
        points: Number(row.r_points),
        debtRecorded: Number(row.r_debt_recorded),
        balance: Number(row.r_balance),
        debt: Number(row.r_debt),
        pending: Number(row.r_pending),
      },
    };
  });
}

/** Tier upgrades of the members whose applied operations asked for one: one pass for the whole flush. */
async function upgradeTiers(db: Db, workspaceId: string, outcomes: Outcome[], settings: LoyaltySettings): Promise<void> {
  const asked = outcomes.filter((o) => o.result && !o.result.replayed && o.waiter.op.retier);
  if (asked.length === 0) return;
  try {
    await applyTierUpgrades(db, workspaceId, asked.map((o) => o.waiter.op.profileId), settings, new Date());
  } catch (error) {
    // The points are committed; as before group commit, the caller learns that the tier step failed.
    for (const o of asked) o.error = error;
  }
}
