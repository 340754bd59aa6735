import { envNumber } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import type { PreparedMessage } from './prepare.js';

export interface IngestResult {
  accepted: number;
  /** Messages whose messageId was already stored: applied once, never twice. */
  duplicates: number;
  /**
   * Present (true) when the request was answered from the durable intake: its messages are committed and will be
   * applied shortly; duplicates then counts only repeats within the request (those already stored are not known yet).
   */
  queued?: true;
}

type StoreFn = (db: Db, workspaceId: string, messages: PreparedMessage[]) => Promise<Set<string>>;

interface Waiter {
  messages: PreparedMessage[];
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

interface WorkspaceQueue {
  waiting: Waiter[];
  /** Messages in `waiting`. */
  waitingMessages: number;
  inFlight: number;
  /** A pump is scheduled for the end of this turn of the event loop. */
  scheduled: boolean;
}

/** Upper bound of messages per combined transaction (a full Segment batch is ~500 messages). */
const MAX_MESSAGES_PER_FLUSH = 4_000;

/**
 * Group commit for ingest: requests for one workspace that arrive while a transaction is running wait and are
 * written together by the next one, so a busy server pays the fixed costs of a batch (about a dozen round trips,
 * a WAL flush at commit, the workspace's identity lock) once per flush instead of once per request, and its
 * batches no longer queue behind each other's row locks. A lone request is written at once: nothing waits on a
 * timer. Each request still resolves only after its own messages are committed; if a combined flush fails, its
 * requests are retried one by one so that a failure belongs to the request that caused it.
 */
export class GroupCommit {
  private readonly queues = new WeakMap<Db, Map<string, WorkspaceQueue>>();
  private readonly limits = new WeakMap<Db, number>();

  constructor(
    private readonly store: StoreFn,
    private readonly maxInFlight: number = Math.max(1, envNumber('SIYU_INGEST_PARALLEL', 1)),
  ) {}

  /**
   * How many flushes of one workspace may be under way at once on `db`. One flush keeps one database backend busy;
   * on PostgreSQL a second one lets the database use a second core while the first waits on its commit or on the
   * server. Each flush is still its own transaction: a request is answered once the flush carrying it committed.
   */
  setMaxInFlight(db: Db, flushes: number): void {
    this.limits.set(db, Math.max(1, Math.floor(flushes)));
  }

  /** Messages of the workspace waiting for a flush (not counting those being written). */
  waitingMessages(db: Db, workspaceId: string): number {
    return this.queues.get(db)?.get(workspaceId)?.waitingMessages ?? 0;
  }

  submit(db: Db, workspaceId: string, messages: PreparedMessage[]): Promise<IngestResult> {
    let byWorkspace = this.queues.get(db);
    if (!byWorkspace) this.queues.set(db, (byWorkspace = new Map()));
    let queue = byWorkspace.get(workspaceId);
    if (!queue) byWorkspace.set(workspaceId, (queue = { waiting: [], waitingMessages: 0, inFlight: 0, scheduled: false }));
    const q = queue;
    q.waitingMessages += messages.length;
    const done = new Promise<IngestResult>((resolve, reject) => q.waiting.push({ messages, resolve, reject }));
    // Start at the end of this turn of the event loop, so that every request read in the same turn joins the flush.
    // On PGlite this is what makes a group at all: its queries run on this thread and a flush yields no turn to read
    // requests, so a flush started at once always carried exactly one request (806 flushes for 806 requests at 16
    // senders); on PostgreSQL a turn costs microseconds.
    if (!q.scheduled) {
      q.scheduled = true;
      setImmediate(() => {
        q.scheduled = false;
        this.pump(db, workspaceId, q, byWorkspace);
        if (q.inFlight === 0 && !q.waiting.length) byWorkspace.delete(workspaceId);
      });
    }
    return done;
  }

  private pump(db: Db, workspaceId: string, q: WorkspaceQueue, byWorkspace: Map<string, WorkspaceQueue>): void {
    const maxInFlight = this.limits.get(db) ?? this.maxInFlight;
    while (q.inFlight < maxInFlight && q.waiting.length) {
      const group: Waiter[] = [];
      let size = 0;
      while (q.waiting.length && (group.length === 0 || size + q.waiting[0]!.messages.length <= MAX_MESSAGES_PER_FLUSH)) {
        const w = q.waiting.shift()!;
        q.waitingMessages -= w.messages.length;
        group.push(w);
        size += w.messages.length;
      }
      q.inFlight++;
      void this.flush(db, workspaceId, group).finally(() => {
        q.inFlight--;
        if (q.waiting.length) this.pump(db, workspaceId, q, byWorkspace);
        else if (q.inFlight === 0 && !q.scheduled) byWorkspace.delete(workspaceId);
      });
    }
  }

  private async flush(db: Db, workspaceId: string, group: Waiter[]): Promise<void> {
    if (group.length === 1) {
      const w = group[0]!;
      try {
        const inserted = await this.store(db, workspaceId, w.messages);
        w.resolve(resultFor(w.messages, inserted, () => true));
      } catch (err) {
        w.reject(err);
      }
      return;
    }
    // The first request to carry a messageId owns it: a later copy in the same flush is a duplicate, as it would
    // be had the requests been written one after the other.
    const owner = new Map<string, Waiter>();
    for (const w of group) for (const m of w.messages) if (!owner.has(m.messageId)) owner.set(m.messageId, w);
    let inserted: Set<string>;
    try {
      inserted = await this.store(db, workspaceId, group.flatMap((w) => w.messages));
    } catch {
      for (const w of group) await this.flush(db, workspaceId, [w]);
      return;
    }
    for (const w of group) w.resolve(resultFor(w.messages, inserted, (id) => owner.get(id) === w));
  }
}

function resultFor(messages: PreparedMessage[], inserted: Set<string>, owns: (messageId: string) => boolean): IngestResult {
  const counted = new Set<string>();
  for (const m of messages) if (inserted.has(m.messageId) && owns(m.messageId)) counted.add(m.messageId);
  return { accepted: counted.size, duplicates: messages.length - counted.size };
}
