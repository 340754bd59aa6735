import { envNumber } from '../../platform/config.js';
import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { writeWithIdentities } from '../identity/index.js';
import { prepareMessages, type PreparedMessage } from './prepare.js';
import { firstOccurrences, writeResolved } from './service.js';

/** Events per applying transaction: large batches pay the per-transaction costs (lock, round trips, commit) rarely. */
const MAX_EVENTS_PER_DRAIN = envNumber('SIYU_INGEST_DRAIN_EVENTS', 10_000);
/** Events per applying transaction while the backlog is shallow (under two full drains). */
const SHALLOW_DRAIN_EVENTS = 2_000;

/** How long one sighting of a deep backlog keeps `intakeIsBehind` true (appliers look again with every drain). */
const BEHIND_HOLD_MS = 2_000;
const behindUntil = new Map<string, number>();

/**
 * Whether an applier of this process recently found a deep backlog (two full drains or more: ~2 s of applying) in
 * the workspace's intake, or without one in any workspace's: the machine is saturated and ingest's own latency is
 * already past the real-time budget. The rules worker then evaluates less often, in larger claims, so the CPU goes to
 * applying (startRulesWorker).
 */
export function intakeIsBehind(workspaceId?: string): boolean {
  const now = Date.now();
  if (workspaceId !== undefined) return (behindUntil.get(workspaceId) ?? 0) > now;
  for (const [ws, until] of behindUntil) {
    if (until > now) return true;
    behindUntil.delete(ws);
  }
  return false;
}

export interface DrainOutcome {
  /** Intake rows (requests) applied and deleted by this transaction. */
  rows: number;
  events: number;
}

/**
 * Applies the oldest intake rows of a workspace, up to about `maxEvents` events, in one transaction: claim them
 * (FOR UPDATE SKIP LOCKED, so concurrent appliers in other processes take other rows), re-validate their bodies as
 * they were accepted, run the same set-based path as inline ingest (identity resolution, events with ON CONFLICT on
 * messageId, profile touches, change feed) and delete the rows. Applied and deleted commit together: a crash leaves
 * either both or neither, so a row is applied exactly once.
 */
export async function applyIntakeBatch(
  db: Db,
  workspaceId: string,
  maxEvents = MAX_EVENTS_PER_DRAIN,
  hooks: { beforeCommit?: (trx: Transaction<DB>) => Promise<void> } = {},
): Promise<DrainOutcome> {
  const heads = await db
    .selectFrom('ingest_intake')
    .select(['id', 'message_count'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('id')
    .limit(2_000)
    .execute();
  if (!heads.length) return { rows: 0, events: 0 };
  // A shallow backlog is applied in small transactions (latency: the real-time tier measures from acceptance, and
  // 10,000-event drains doubled its p99 at 5,000 events/s); a deep one in large ones, which cost ~17% less CPU per
  // event (bench/ingest.ts --intake always: 141 against 169 µs).
  let backlog = 0;
  for (const h of heads) backlog += h.message_count;
  if (backlog < 2 * maxEvents) maxEvents = Math.min(maxEvents, SHALLOW_DRAIN_EVENTS);
  else behindUntil.set(workspaceId, Date.now() + BEHIND_HOLD_MS);
  // How many rows make ~maxEvents, from the oldest (whoever holds them): the claim below takes that many of the
  // rows no other applier holds, so two appliers split a backlog instead of the second finding only locked rows.
  let wanted = 0;
  let sum = 0;
  for (const h of heads) {
    if (sum > 0 && sum + h.message_count > maxEvents) break;
    wanted++;
    sum += h.message_count;
  }
  let ids: number[] = [];
  let messages: PreparedMessage[] = [];
  try {
    await writeIntakeBatch();
  } catch (err) {
    // Which rows the failed transaction had claimed: one alone that keeps failing is set aside by the applier.
    if (err && typeof err === 'object') (err as { intakeRowIds?: number[] }).intakeRowIds = ids;
    throw err;
  }
  return { rows: ids.length, events: messages.length };

  async function writeIntakeBatch() {
    await writeWithIdentities(
      db,
      workspaceId,
      async (trx) => {
        const { rows } = await sql<IntakeRecord>`
          SELECT id, kind, received_at, payload, request_ip FROM ingest_intake
          WHERE workspace_id = ${workspaceId} ORDER BY id LIMIT ${wanted} FOR UPDATE SKIP LOCKED`.execute(trx);
        ids = rows.map((r) => Number(r.id));
        const all: PreparedMessage[] = [];
        for (const r of rows) for (const m of preparedFromIntake(r)) all.push(m);
        messages = firstOccurrences(all);
        return messages.map((m) => ({ messageId: m.messageId, time: m.timestamp, identifiers: m.identifiers }));
      },
      async (trx, resolved) => {
        await writeResolved(trx, workspaceId, messages, resolved);
        if (ids.length) await sql`DELETE FROM ingest_intake WHERE id = ANY(${ids}::bigint[])`.execute(trx);
        if (hooks.beforeCommit) await hooks.beforeCommit(trx);
      },
    );
  }
}

interface IntakeRecord {
  id: number;
  kind: string;
  received_at: Date | string;
  payload: string;
  request_ip: string | null;
}

/** The messages of one intake row, prepared exactly as when the request was accepted (same receivedAt and address). */
function preparedFromIntake(row: IntakeRecord): PreparedMessage[] {
  const receivedAt = new Date(row.received_at);
  const requestIp = row.request_ip ?? undefined;
  const body = JSON.parse(row.payload) as Record<string, unknown>;
  const { messages, errors } =
    row.kind === 'batch'
      ? prepareMessages(body.batch as unknown[], {
          receivedAt,
          batchContext: body.context as Record<string, unknown> | undefined,
          batchIntegrations: body.integrations as Record<string, unknown> | undefined,
          batchSentAt: body.sentAt,
          requestIp,
        })
      : prepareMessages([{ ...withoutWriteKey(body), type: row.kind }], { receivedAt, single: true, requestIp });
  if (errors.length) throw new AppError('invalid_request', `intake row ${row.id} no longer validates: ${errors[0]!.path}: ${errors[0]!.message}`);
  return messages;
}

function withoutWriteKey(body: Record<string, unknown>): Record<string, unknown> {
  const { writeKey: _key, ...rest } = body;
  return rest;
}

/** Moves a row the database refuses to apply out of the way, with the reason (operators see it in the backlog). */
async function setAside(db: Db, id: number, error: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ id: number }>`SELECT id FROM ingest_intake WHERE id = ${id} FOR UPDATE`.execute(trx);
    if (!rows.length) return;
    await sql`
      INSERT INTO ingest_intake_failed (id, workspace_id, received_at, message_count, kind, payload, request_ip, error)
      SELECT id, workspace_id, received_at, message_count, kind, payload, request_ip, ${error.slice(0, 2_000)} FROM ingest_intake WHERE id = ${id}`.execute(trx);
    await sql`DELETE FROM ingest_intake WHERE id = ${id}`.execute(trx);
  });
}

/** Errors that retrying cannot fix: a value the database refuses (SQLSTATE 22xxx, 23xxx, 54xxx) or a body that no longer validates. */
function isPermanent(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (/^(22|23|54)/.test(code) || code === 'invalid_request');
}

interface LoopState {
  running: number;
  /** Set by every kick; a loop ends only after a drain that found nothing and saw no kick since it began. */
  dirty: boolean;
}

interface DbState {
  loops: Map<string, LoopState>;
  /** Events this process queued per workspace and has not seen applied yet (reset when a drain finds nothing). */
  queued: Map<string, number>;
  stopped: boolean;
  active: Set<Promise<void>>;
}

/**
 * Drains the intake continuously: every commit of intake rows kicks the workspace's loop, which applies batch after
 * batch until the workspace's intake is empty (no timer between batches: the real-time tier measures from
 * acceptance). A batch that fails is retried one row at a time; a row the database refuses is set aside in
 * `ingest_intake_failed`; any other failure (lost connection, deadlock) backs off and retries, nothing is dropped.
 */
export class IntakeApplier {
  private readonly states = new WeakMap<Db, DbState>();
  private readonly parallel = new WeakMap<Db, number>();

  constructor(private readonly log: (message: string) => void = (m) => process.stderr.write(`${m}\n`)) {}

  private readonly batchEvents = new WeakMap<Db, number>();

  /**
   * Loops per workspace on `db` (PostgreSQL: SKIP LOCKED lets two share a backlog; SIYU_INGEST_APPLIERS overrides)
   * and events per applying transaction (PGlite has one connection: every other query waits for the batch).
   */
  setParallel(db: Db, n: number, maxEvents = MAX_EVENTS_PER_DRAIN): void {
    this.parallel.set(db, Math.max(1, Math.floor(envNumber('SIYU_INGEST_APPLIERS', n))));
    this.batchEvents.set(db, Math.max(1, envNumber('SIYU_INGEST_DRAIN_EVENTS', maxEvents)));
  }

  private state(db: Db): DbState {
    let s = this.states.get(db);
    if (!s) this.states.set(db, (s = { loops: new Map(), queued: new Map(), stopped: false, active: new Set() }));
    return s;
  }

  /** Events of the workspace queued by this process and not yet applied (as far as this process knows). */
  queuedEvents(db: Db, workspaceId: string): number {
    return this.states.get(db)?.queued.get(workspaceId) ?? 0;
  }

  /** Counts events just committed to the intake, then wakes the workspace's loop. */
  queuedAndKick(db: Db, workspaceId: string, events: number): void {
    const s = this.state(db);
    s.queued.set(workspaceId, (s.queued.get(workspaceId) ?? 0) + events);
    this.kick(db, workspaceId);
  }

  kick(db: Db, workspaceId: string): void {
    if (process.env.SIYU_INGEST_APPLIER === 'off') return;
    const s = this.state(db);
    if (s.stopped) return;
    let loop = s.loops.get(workspaceId);
    if (!loop) s.loops.set(workspaceId, (loop = { running: 0, dirty: false }));
    loop.dirty = true;
    const max = this.parallel.get(db) ?? 1;
    while (loop.running < max) {
      loop.running++;
      const l = loop;
      const p: Promise<void> = this.run(db, workspaceId, l, s).finally(() => {
        s.active.delete(p);
        if (--l.running === 0 && s.loops.get(workspaceId) === l) s.loops.delete(workspaceId);
      });
      s.active.add(p);
    }
  }

  /** Kicks every workspace with intake rows (start-up, and the periodic sweep for rows other processes left). */
  async sweep(db: Db): Promise<number> {
    const rows = await db.selectFrom('ingest_intake').select('workspace_id').distinct().execute();
    for (const r of rows) this.kick(db, r.workspace_id);
    return rows.length;
  }

  /** Resolves when no loop runs on `db` (every kicked workspace drained). */
  async idle(db: Db): Promise<void> {
    const s = this.states.get(db);
    while (s && s.active.size) await Promise.allSettled([...s.active]);
  }

  /** Stops taking new batches on `db` and waits for the running ones to commit or roll back; rows left stay durable. */
  async stop(db: Db): Promise<void> {
    const s = this.state(db);
    s.stopped = true;
    await this.idle(db);
  }

  /** Allows kicks again after stop() (tests reuse one database). */
  restart(db: Db): void {
    this.state(db).stopped = false;
  }

  private async run(db: Db, workspaceId: string, loop: LoopState, s: DbState): Promise<void> {
    let singleRows = 0; // after a failed batch: rows to apply one at a time, to isolate the one that fails
    let backoffMs = 0;
    // Yield first, so that the kicking request is answered before this loop's work begins.
    await new Promise((r) => setImmediate(r));
    while (!s.stopped) {
      loop.dirty = false;
      try {
        const outcome = await applyIntakeBatch(db, workspaceId, singleRows > 0 ? 1 : (this.batchEvents.get(db) ?? MAX_EVENTS_PER_DRAIN));
        backoffMs = 0;
        if (singleRows > 0) singleRows--;
        const left = (s.queued.get(workspaceId) ?? 0) - outcome.events;
        if (outcome.rows === 0 || left <= 0) s.queued.delete(workspaceId);
        else s.queued.set(workspaceId, left);
        if (outcome.rows === 0 && !loop.dirty) return;
      } catch (err) {
        if (singleRows === 0) {
          singleRows = 256;
          continue;
        }
        const claimed = (err as { intakeRowIds?: number[] }).intakeRowIds ?? [];
        if (isPermanent(err) && claimed.length === 1) {
          this.log(`ingest intake: workspace ${workspaceId}: request ${claimed[0]} was set aside in ingest_intake_failed: ${(err as Error).message}`);
          await setAside(db, claimed[0]!, (err as Error).message).catch(() => {});
          continue;
        }
        backoffMs = Math.min(5_000, backoffMs ? backoffMs * 2 : 100);
        this.log(`ingest intake: workspace ${workspaceId}: applying failed (${(err as Error).message}); retrying in ${backoffMs} ms`);
        await new Promise((r) => setTimeout(r, backoffMs));
      }
    }
  }
}
