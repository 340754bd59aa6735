import { envNumber } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { GroupCommit, type IngestResult } from './group-commit.js';
import { IntakeApplier } from './intake-applier.js';
import { AUTO_INTAKE_MAX_EVENTS, autoIntakeThreshold, intakeMode, IntakeWriter } from './intake.js';
import { prepareMessages, type PrepareOptions } from './prepare.js';
import { storeMessagesReturningInserted } from './service.js';

const groupCommit = new GroupCommit(storeMessagesReturningInserted);
/** Applies the intake in this process: kicked by every intake commit, and by the start-up / periodic sweep. */
export const intakeApplier = new IntakeApplier();
const intakeWriter = new IntakeWriter((db, events) => {
  for (const [ws, n] of events) intakeApplier.queuedAndKick(db, ws, n);
});

/** Auto mode's switch point per database (see autoIntakeThreshold); one the routes never configured, PostgreSQL's. */
const intakeThresholds = new WeakMap<Db, number>();

/**
 * How many flushes of one workspace may run at once on this database (see GroupCommit.setMaxInFlight), for inline
 * ingest and for intake writes. The server sets it from the database kind; SIYU_INGEST_PARALLEL overrides it.
 */
export function setIngestParallelism(db: Db, flushes: number): void {
  const n = envNumber('SIYU_INGEST_PARALLEL', flushes);
  intakeThresholds.set(db, autoIntakeThreshold(n));
  groupCommit.setMaxInFlight(db, n);
  intakeWriter.setMaxInFlight(db, n);
  // One connection (PGlite): one loop, and batches of 2,000 events, so reads wait at most about a second behind one.
  intakeApplier.setParallel(db, n, n > 1 ? 10_000 : 2_000);
}

/** The request body as received, stored in the intake instead of re-serialising the parsed messages. */
export interface IntakeBody {
  kind: string;
  /** JSON text, or its UTF-8 bytes (stored as text: the bytes travel as a binary parameter, without re-encoding). */
  text: string | Buffer;
}

/**
 * Validates and stores Segment-spec messages. All or nothing: if any message is invalid, none is stored and the
 * error lists every offending index. A resolved promise means the messages are durably committed: applied (inline
 * path), or written to the intake (`queued: true`), from which the applier applies them exactly once.
 */
export async function ingestMessages(
  db: Db,
  workspaceId: string,
  raw: unknown[],
  opts: Partial<PrepareOptions> & {
    /** The request body as received: the HTTP routes pass it, which makes the request eligible for the intake. */
    intakeBody?: IntakeBody;
    /**
     * Eligible for the intake without a body (it is serialised). Off by default: in-process callers (loyalty's card
     * binding, channel facts, importers) read what they ingested right after, so they always take the inline path.
     */
    allowIntake?: boolean;
  } = {},
): Promise<IngestResult> {
  const receivedAt = opts.receivedAt ?? new Date();
  const { messages, errors } = prepareMessages(raw, { ...opts, receivedAt });
  if (errors.length) {
    const first = errors[0]!;
    throw new AppError(
      'invalid_request',
      `${errors.length} invalid message${errors.length > 1 ? 's' : ''}; first: ${first.path ? `${first.path}: ` : ''}${first.message}`,
      errors,
    );
  }
  if (messages.length && (opts.intakeBody || opts.allowIntake) && toIntake(db, workspaceId)) {
    const body = opts.intakeBody ?? {
      kind: 'batch',
      text: JSON.stringify({ batch: raw, context: opts.batchContext, integrations: opts.batchIntegrations, sentAt: opts.batchSentAt }),
    };
    // A NUL character passes validation but no jsonb column takes it: such a request keeps the inline path, which
    // answers its failure to the sender (an accepted request must always be appliable).
    if (!body.text.includes('\\u0000')) {
      await intakeWriter.write(db, workspaceId, { kind: body.kind, payload: body.text, messageCount: messages.length, receivedAt, ...(opts.requestIp ? { requestIp: opts.requestIp } : {}) });
      const distinct = new Set<string>();
      for (const m of messages) distinct.add(m.messageId);
      return { accepted: distinct.size, duplicates: messages.length - distinct.size, queued: true };
    }
  }
  return groupCommit.submit(db, workspaceId, messages);
}

function toIntake(db: Db, workspaceId: string): boolean {
  const mode = intakeMode();
  if (mode !== 'auto') return mode === 'always';
  if (intakeApplier.queuedEvents(db, workspaceId) >= AUTO_INTAKE_MAX_EVENTS) return false;
  // Only while the inline queue is backed up: a workspace with an intake backlog but a short inline queue goes
  // inline again (sticking to the intake until it was empty doubled the real-time tier's p99 at 5,000 events/s,
  // bench/realtime.ts: its drains grew to seconds of events). Arrival order does not matter to the result (OneID's
  // order independence; messageId de-duplication holds across both paths).
  return groupCommit.waitingMessages(db, workspaceId) >= (intakeThresholds.get(db) ?? autoIntakeThreshold(2));
}
