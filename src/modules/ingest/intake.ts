import { envNumber } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';

/**
 * The durable intake: under load a validated request is committed to `ingest_intake` (one row per request, its body
 * as received) and answered at once; the applier (intake-applier.ts) applies rows in large batches later. This file
 * holds the accept side: the mode switch and the writer, which group-commits concurrent requests' rows into one
 * multi-row INSERT (one commit, one WAL flush for all of them).
 */

export type IntakeMode = 'auto' | 'always' | 'never';

let modeOverride: IntakeMode | undefined;

/** SIYU_INGEST_INTAKE=auto (default) | always | never; tests may override it in-process. */
export function intakeMode(): IntakeMode {
  if (modeOverride) return modeOverride;
  const env = process.env.SIYU_INGEST_INTAKE;
  return env === 'always' || env === 'never' ? env : 'auto';
}

export function setIntakeMode(mode: IntakeMode | undefined): void {
  modeOverride = mode;
}

/**
 * In auto mode a request goes to the intake when the inline group commit already has this many messages waiting for
 * a flush. SIYU_INGEST_INTAKE_THRESHOLD overrides both defaults.
 * - PostgreSQL (two flushes at once): 300, both flushes busy and about three 100-event batches queued behind them,
 *   i.e. inline is saturated. At 1,000 a 16-sender load never queued and ran inline at 16.7-18.2k events/s; at 300 it
 *   ran 21.3-23.8k end to end with the same real-time p99 at 5,000 events/s (246 / 246 ms against 242 / 285).
 * - PGlite (one connection): never. Its intake INSERT waits behind the applying transaction on the one connection, so
 *   queueing answers no sooner, and applying costs a second parse: 16 senders ran 7,490-7,510 events/s inline against
 *   6,823-6,852 with a threshold of 1,000 and 6,555-6,726 with 300 (docs/benchmarks.md, session 11).
 */
export function autoIntakeThreshold(parallelFlushes: number): number {
  return envNumber('SIYU_INGEST_INTAKE_THRESHOLD', parallelFlushes > 1 ? 300 : Number.POSITIVE_INFINITY);
}

/**
 * Auto mode stops queueing a workspace's requests once this many of its events wait in the intake (about 20 s of
 * application here): further requests take the inline path again, whose slower answers hold senders back, instead
 * of a backlog (and the real-time tier's lag) growing without bound. SIYU_INGEST_INTAKE_MAX_EVENTS overrides it.
 */
export const AUTO_INTAKE_MAX_EVENTS = envNumber('SIYU_INGEST_INTAKE_MAX_EVENTS', 100_000);

export interface IntakeRow {
  /** 'batch' (the body is a /v1/batch envelope) or a message type (the body of a single /v1/<type> call). */
  kind: string;
  /** The body's JSON text, or its UTF-8 bytes (see IntakeBody). */
  payload: string | Buffer;
  messageCount: number;
  receivedAt: Date;
  /** The sender's address (see PrepareOptions.requestIp). */
  requestIp?: string;
}

interface Pending extends IntakeRow {
  workspaceId: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface WriterState {
  waiting: Pending[];
  inFlight: number;
}

/** Rows per INSERT: each row is six parameters; ~40 KB of payload each for a 100-event batch. */
const MAX_ROWS_PER_INSERT = 64;

export class IntakeWriter {
  private readonly states = new WeakMap<Db, WriterState>();
  private readonly limits = new WeakMap<Db, number>();

  /** Called after rows of a workspace committed, with their events (wakes the applier). */
  constructor(private readonly onCommitted: (db: Db, events: Map<string, number>) => void) {}

  setMaxInFlight(db: Db, n: number): void {
    this.limits.set(db, Math.max(1, Math.floor(n)));
  }

  /** Resolves once the row is committed: the request's messages are then durable. */
  write(db: Db, workspaceId: string, row: IntakeRow): Promise<void> {
    let state = this.states.get(db);
    if (!state) this.states.set(db, (state = { waiting: [], inFlight: 0 }));
    const s = state;
    const done = new Promise<void>((resolve, reject) => s.waiting.push({ ...row, workspaceId, resolve, reject }));
    this.pump(db, s);
    return done;
  }

  private pump(db: Db, s: WriterState): void {
    const max = this.limits.get(db) ?? 1;
    while (s.inFlight < max && s.waiting.length) {
      const group = s.waiting.splice(0, MAX_ROWS_PER_INSERT);
      s.inFlight++;
      void this.flush(db, group).finally(() => {
        s.inFlight--;
        this.pump(db, s);
      });
    }
  }

  private async flush(db: Db, group: Pending[]): Promise<void> {
    try {
      await insertRows(db, group);
    } catch {
      // One bad row must not fail the others: retry one by one so each request gets its own outcome.
      const committed: Pending[] = [];
      for (const p of group) {
        try {
          await insertRows(db, [p]);
          p.resolve();
          committed.push(p);
        } catch (err) {
          p.reject(err);
        }
      }
      this.onCommitted(db, eventsByWorkspace(committed));
      return;
    }
    for (const p of group) p.resolve();
    this.onCommitted(db, eventsByWorkspace(group));
  }
}

function eventsByWorkspace(rows: Pending[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.workspaceId, (m.get(r.workspaceId) ?? 0) + r.messageCount);
  return m;
}

async function insertRows(db: Db, rows: Pending[]): Promise<void> {
  await db
    .insertInto('ingest_intake')
    .values(rows.map((r) => ({ workspace_id: r.workspaceId, received_at: r.receivedAt, message_count: r.messageCount, kind: r.kind, payload: r.payload as string, request_ip: r.requestIp ?? null })))
    .execute();
}

export interface IntakeBacklog {
  rows: number;
  events: number;
  /** Seconds since the oldest waiting request was received (0 when empty). */
  oldestAgeSeconds: number;
  /** Requests the database refused to apply (kept in ingest_intake_failed with the reason). */
  failedRows: number;
}

/** The intake's backlog: of one workspace, or of all of them (operators' view of the lag). */
export async function intakeBacklog(db: Db, workspaceId?: string): Promise<IntakeBacklog> {
  let q = db
    .selectFrom('ingest_intake')
    .select(({ fn }) => [fn.countAll<number>().as('rows'), fn.sum<number>('message_count').as('events'), fn.min('received_at').as('oldest')]);
  if (workspaceId) q = q.where('workspace_id', '=', workspaceId);
  let f = db.selectFrom('ingest_intake_failed').select(({ fn }) => fn.countAll<number>().as('n'));
  if (workspaceId) f = f.where('workspace_id', '=', workspaceId);
  const [row, failed] = await Promise.all([q.executeTakeFirstOrThrow(), f.executeTakeFirstOrThrow()]);
  const oldest = row.oldest ? new Date(row.oldest as Date | string).getTime() : null;
  return {
    rows: Number(row.rows),
    events: Number(row.events ?? 0),
    oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
    failedRows: Number(failed.n),
  };
}
