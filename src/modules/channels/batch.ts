import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { failure, type SendResult } from './adapter.js';
import { openChannelConfigs, type OpenChannelConfig } from './configs.js';
import { deliveryEvents, type DeliveryOutcome, type DeliveryRequest } from './deliveries.js';
import { emitProfileEvents, type ProfileEventMessage } from './profile-events.js';
import { adapterFor } from './registry.js';
import type { ChannelKind, ProviderKind } from './schema.js';

export interface DeliverManyOptions {
  /** Provider calls in flight at once. Default 32. */
  concurrency?: number;
  /**
   * Calls made (or in flight) whose answer is not committed yet: what a kill -9 can leave made-but-unrecorded, to be
   * sent again under the same idempotency key. Default 4 × concurrency, or a limiter shared by several batches.
   */
  unrecorded?: CallLimiter;
  /** Configurations already opened by the caller (else loaded in one statement). */
  configs?: Map<string, OpenChannelConfig>;
  /** A limiter shared by several batches under way at once (else one of `concurrency` for this call). */
  limiter?: CallLimiter;
  /**
   * Answer recorders shared by several batches under way at once (createAnswerRecorders): their answers go out in
   * the same group commits, fewer and larger (else one recorder for this call).
   */
  recorders?: AnswerRecorders;
}

/** Group-commit recorders of provider answers, one per workspace, to share between batches. */
export interface AnswerRecorders {
  of(db: Db, workspaceId: string): { record(id: string, result: SendResult, attempt?: FirstRecord): Promise<void> };
}

/** What a delivery row needs when the answer is its first record (see DeliveryRequest.claimedByCaller). */
interface FirstRecord {
  key: string;
  config: string;
  channel: string;
  recipient: string;
  profileId: number | null;
  context: Record<string, unknown>;
}

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
/**
 * A delivery's id, derived from its workspace and idempotency key: every attempt under a key names the same delivery,
 * so what a provider got from an attempt whose answer was never recorded (tracking links) names the row the next
 * attempt records.
 */
export function deliveryIdOf(workspaceId: string, key: string): string {
  const bytes = createHash('sha256').update(`${workspaceId}\u0000${key}`).digest();
  let out = '';
  for (let i = 0; i < 16; i++) out += alphabet[bytes[i]! & 31];
  return `dl_${out}`;
}

/**
 * `writers`: group writes of one workspace under way at once (default 2). The calls made and not yet recorded are
 * bounded (`unrecorded`), so the sender's rate is at most that bound over the time from a call to its answer's commit;
 * with one write at a time an answer waits for the write under way, then its own (measured: ~45 answers per 26-50 ms
 * write under load, the bound full and the sender waiting on it). A second write takes the answers that arrived
 * meanwhile once there are enough of them to make a group worth a commit (see GroupRecorder).
 */
export function createAnswerRecorders(opts: { writers?: number } = {}): AnswerRecorders {
  const byWorkspace = new Map<string, GroupRecorder>();
  return {
    of(db, workspaceId) {
      let r = byWorkspace.get(workspaceId);
      if (!r) byWorkspace.set(workspaceId, (r = new GroupRecorder(db, workspaceId, opts.writers ?? 2)));
      return r;
    },
  };
}

/** Bounds calls (in flight, or made and not yet recorded) across the batches sharing it. */
export interface CallLimiter {
  acquire(): Promise<void>;
  release(): void;
}

export const createCallLimiter = (concurrency: number): CallLimiter => new Semaphore(Math.max(1, concurrency));

export interface BatchDeliveryOutcome extends DeliveryOutcome {
  /** Set when the answer was recorded but its profile events could not be handed to ingest (try the send again: it replays). */
  eventsError?: string;
}

/** SMTP opens a connection per message: keep it gentle. HTTP providers take the full concurrency. */
const PROVIDER_CONCURRENCY: Partial<Record<ProviderKind, number>> = { smtp: 4 };

interface Claimed {
  index: number;
  request: DeliveryRequest;
  config: OpenChannelConfig;
  deliveryId: string;
  /** No row was written before the call (a first attempt under the caller's own durable claim): the answer inserts it. */
  unwritten?: boolean;
}

/**
 * deliver() for many messages of one workspace, with the same guarantees and set-based bookkeeping: every attempt is
 * recorded `sending` before any provider call (one multi-row INSERT … ON CONFLICT DO NOTHING, then one UPDATE that
 * retakes interrupted or retryable attempts, then one SELECT of final answers, returned without a call); the
 * unsubscribe check is one statement; providers are called with bounded concurrency; answers are recorded by group
 * commit (one multi-row UPDATE for whatever finished meanwhile). A call's provider slot is freed as soon as it is
 * answered (the next call does not wait for the commit), and a second bound, `unrecorded`, keeps the calls made but
 * not yet committed to a fixed number: what a kill -9 can leave to be sent again under the same key. Profile events go to ingest in one call
 * at the end (also for replayed final answers: their message ids are derived from the delivery, so ingest keeps one).
 * Outcomes come back in request order; a key repeated inside the batch is sent once and both get its answer.
 */
export async function deliverMany(db: Db, workspaceId: string, publicUrl: string, requests: DeliveryRequest[], opts: DeliverManyOptions = {}): Promise<BatchDeliveryOutcome[]> {
  const outcomes: Array<BatchDeliveryOutcome | undefined> = new Array(requests.length);
  const configs = opts.configs ?? (await openChannelConfigs(db, workspaceId, requests.map((r) => r.configId)));
  const firstOfKey = new Map<string, number>();
  const unique: Array<{ index: number; request: DeliveryRequest; config: OpenChannelConfig }> = [];
  requests.forEach((request, index) => {
    const config = configs.get(request.configId);
    if (!config) {
      outcomes[index] = { deliveryId: '', result: failure('permanent', 'not_found', `channel ${request.configId} not found`), duplicate: false };
      return;
    }
    if (firstOfKey.has(request.idempotencyKey)) return;
    firstOfKey.set(request.idempotencyKey, index);
    unique.push({ index, request, config });
  });

  const { claimed, done } = await claimMany(db, workspaceId, unique);
  const events: Array<{ index: number; messages: ProfileEventMessage[] }> = [];
  for (const d of done) {
    outcomes[d.index] = d.outcome;
    if (d.outcome.result.ok || d.outcome.result.error.kind !== 'retryable') events.push({ index: d.index, messages: eventsOf(d.config, d.request, d.outcome.deliveryId, d.outcome.result) });
  }

  const unsubscribed = await unsubscribedAmong(db, workspaceId, claimed.filter((c) => !c.request.transactional).map((c) => ({ channel: c.config.channel, address: c.request.recipient.to })));
  const recorder = opts.recorders ? opts.recorders.of(db, workspaceId) : new GroupRecorder(db, workspaceId);
  const limits = new Map<string, Semaphore>();
  const total = opts.limiter ?? createCallLimiter(opts.concurrency ?? 32);
  const unrecorded = opts.unrecorded ?? createCallLimiter(4 * (opts.concurrency ?? 32));
  await Promise.all(
    claimed.map(async (c) => {
      const provider = c.config.provider;
      const perProvider = PROVIDER_CONCURRENCY[provider];
      let limit = limits.get(provider);
      if (!limit && perProvider) limits.set(provider, (limit = new Semaphore(perProvider)));
      // A call's provider slot is freed once it is answered; its `unrecorded` place once the answer is committed.
      await unrecorded.acquire();
      let result: SendResult;
      try {
        await total.acquire();
        if (limit) await limit.acquire();
        try {
          result = await call(db, workspaceId, publicUrl, c, unsubscribed);
        } finally {
          limit?.release();
          total.release();
        }
        try {
          await recorder.record(c.deliveryId, result, c.unwritten ? firstRecordOf(c) : undefined);
        } catch (err) {
          // The answer is not on record: the attempt stays `sending` and is taken again with the same key.
          result = failure('retryable', 'not_recorded', String((err as Error).message ?? err));
        }
      } finally {
        unrecorded.release();
      }
      outcomes[c.index] = { deliveryId: c.deliveryId, result, duplicate: false };
      if (result.ok || result.error.kind !== 'retryable') events.push({ index: c.index, messages: eventsOf(c.config, c.request, c.deliveryId, result) });
    }),
  );

  const messages = events.flatMap((e) => e.messages);
  if (messages.length) {
    try {
      await emitProfileEvents(db, workspaceId, messages);
    } catch (err) {
      const message = String((err as Error).message ?? err);
      for (const e of events) if (e.messages.length) outcomes[e.index] = { ...outcomes[e.index]!, eventsError: message };
    }
  }
  return requests.map((request, index) => {
    const own = outcomes[index];
    if (own) return own;
    const first = outcomes[firstOfKey.get(request.idempotencyKey)!]!;
    return { ...first, duplicate: true };
  });
}

async function call(db: Db, workspaceId: string, publicUrl: string, c: Claimed, unsubscribed: Set<string>): Promise<SendResult> {
  const { config, request } = c;
  if (!config.enabled) return failure('permanent', 'channel_disabled', `channel ${config.id} is disabled`);
  if (request.message.channel !== config.channel) return failure('permanent', 'wrong_channel', `channel ${config.id} sends ${config.channel}, not ${request.message.channel}`);
  if (!request.transactional && unsubscribed.has(`${config.channel}\u0000${request.recipient.to}`)) {
    return failure('permanent', 'unsubscribed', `${request.recipient.to} unsubscribed from ${config.channel}`);
  }
  const adapter = adapterFor(db, workspaceId, config, publicUrl, c.deliveryId);
  const message = request.message.channel === 'email' && request.transactional ? { ...request.message, transactional: true } : request.message;
  try {
    return await adapter.send(message, request.recipient, request.idempotencyKey);
  } catch (err) {
    return failure('retryable', 'adapter_error', String((err as Error).message ?? err));
  }
}

const firstRecordOf = (c: Claimed): FirstRecord => ({
  key: c.request.idempotencyKey, config: c.request.configId, channel: c.config.channel, recipient: c.request.recipient.to,
  profileId: c.request.recipient.profileId ?? null, context: c.request.context ?? {},
});

function eventsOf(config: OpenChannelConfig, request: DeliveryRequest, deliveryId: string, result: SendResult): ProfileEventMessage[] {
  const event = result.ok ? 'Message Sent' : 'Message Failed';
  const properties = result.ok ? { providerMessageId: result.providerMessageId } : { errorKind: result.error.kind, errorCode: result.error.code, errorMessage: result.error.message };
  return deliveryEvents(config.channel, request.recipient.to, deliveryId, event, { ...request.context, provider: config.provider, ...properties });
}

type Pending = { index: number; request: DeliveryRequest; config: OpenChannelConfig };

/**
 * The before-record of many attempts: new keys inserted, interrupted/retryable ones retaken, final ones read back.
 * Keys under the caller's own claim (`claimedByCaller`) with no delivery on record are not written here (one read
 * instead of a write): their answer inserts the row.
 */
async function claimMany(db: Db, workspaceId: string, all: Pending[]): Promise<{ claimed: Claimed[]; done: Array<Pending & { outcome: DeliveryOutcome }> }> {
  const vouched = all.filter((p) => p.request.claimedByCaller).map((p) => p.request.idempotencyKey);
  const onRecord = new Set<string>();
  if (vouched.length) {
    // One probe of the key's unique index per key (a LATERAL subquery can only be a parameterised nested loop): as
    // `idempotency_key = ANY(keys)` the planner, with statistics from before a bulk of deliveries, read every
    // delivery of the workspace through its (workspace_id, …) prefix and filtered them (73 ms at 100,000 rows,
    // growing with the table).
    const { rows } = await sql<{ key: string }>`
      SELECT k.key FROM unnest(${vouched}::text[]) AS k(key)
      CROSS JOIN LATERAL (SELECT 1 FROM channel_deliveries d WHERE d.workspace_id = ${workspaceId} AND d.idempotency_key = k.key LIMIT 1) x`.execute(db);
    for (const r of rows) onRecord.add(r.key);
  }
  const unwritten = (p: Pending) => p.request.claimedByCaller === true && !onRecord.has(p.request.idempotencyKey);
  const first: Claimed[] = all.filter(unwritten).map((p) => ({ ...p, deliveryId: deliveryIdOf(workspaceId, p.request.idempotencyKey), unwritten: true }));
  const pending = all.filter((p) => !unwritten(p));
  if (pending.length === 0) return { claimed: first, done: [] };
  const rows = pending.map((p) => ({
    id: deliveryIdOf(workspaceId, p.request.idempotencyKey), key: p.request.idempotencyKey, config: p.request.configId, channel: p.config.channel, recipient: p.request.recipient.to,
    profile_id: p.request.recipient.profileId ?? null, context: p.request.context ?? {},
  }));
  const { rows: inserted } = await sql<{ idempotency_key: string; id: string }>`
    INSERT INTO channel_deliveries (workspace_id, id, idempotency_key, channel_config_id, channel, recipient, profile_id, status, attempts, context)
    SELECT ${workspaceId}, r.id, r.key, r.config, r.channel, r.recipient, r.profile_id, 'sending', 1, r.context
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id text, key text, config text, channel text, recipient text, profile_id bigint, context jsonb)
    ON CONFLICT DO NOTHING
    RETURNING idempotency_key, id`.execute(db);
  const idOf = new Map(inserted.map((r) => [r.idempotency_key, r.id]));
  const rest = pending.filter((p) => !idOf.has(p.request.idempotencyKey)).map((p) => p.request.idempotencyKey);
  if (rest.length) {
    // Already attempted: an interrupted (`sending`) or retryable attempt is taken again under the same key.
    const { rows: retaken } = await sql<{ idempotency_key: string; id: string }>`
      UPDATE channel_deliveries SET status = 'sending', attempts = attempts + 1, updated_at = now()
      WHERE workspace_id = ${workspaceId} AND idempotency_key = ANY(${rest}::text[])
        AND (status = 'sending' OR (status = 'failed' AND error_kind = 'retryable'))
      RETURNING idempotency_key, id`.execute(db);
    for (const r of retaken) idOf.set(r.idempotency_key, r.id);
  }
  const finalKeys = pending.filter((p) => !idOf.has(p.request.idempotencyKey)).map((p) => p.request.idempotencyKey);
  const finals = new Map<string, { id: string; status: string; provider_message_id: string | null; error_kind: string | null; error_code: string | null; error_message: string | null }>();
  if (finalKeys.length) {
    const { rows: found } = await sql<{ idempotency_key: string; id: string; status: string; provider_message_id: string | null; error_kind: string | null; error_code: string | null; error_message: string | null }>`
      SELECT idempotency_key, id, status, provider_message_id, error_kind, error_code, error_message FROM channel_deliveries
      WHERE workspace_id = ${workspaceId} AND idempotency_key = ANY(${finalKeys}::text[])`.execute(db);
    for (const f of found) finals.set(f.idempotency_key, f);
  }
  const claimed: Claimed[] = [...first];
  const done: Array<Pending & { outcome: DeliveryOutcome }> = [];
  for (const p of pending) {
    const key = p.request.idempotencyKey;
    const id = idOf.get(key);
    if (id) {
      claimed.push({ ...p, deliveryId: id });
      continue;
    }
    const row = finals.get(key);
    // A row that vanished between the statements (a workspace or profile deletion): nothing to send to.
    if (!row) {
      done.push({ ...p, outcome: { deliveryId: '', result: failure('retryable', 'claim_lost', `delivery ${key} changed while claiming`), duplicate: false } });
      continue;
    }
    const result: SendResult =
      row.status === 'failed'
        ? failure((row.error_kind ?? 'permanent') as 'permanent', row.error_code ?? '', row.error_message ?? '')
        : { ok: true, providerMessageId: row.provider_message_id ?? '' };
    done.push({ ...p, outcome: { deliveryId: row.id, result, duplicate: true } });
  }
  return { claimed, done };
}

async function unsubscribedAmong(db: Db, workspaceId: string, pairs: Array<{ channel: ChannelKind; address: string }>): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const { rows } = await sql<{ channel: string; address: string }>`
    SELECT u.channel, u.address FROM channel_unsubscribes u
    JOIN unnest(${pairs.map((p) => p.channel)}::text[], ${pairs.map((p) => p.address)}::text[]) AS q(channel, address)
      ON u.channel = q.channel AND u.address = q.address
    WHERE u.workspace_id = ${workspaceId}`.execute(db);
  return new Set(rows.map((r) => `${r.channel}\u0000${r.address}`));
}

/** Which of these (channel, address) pairs unsubscribed, in one statement: `channel\0address` keys. */
export const unsubscribedAddresses = unsubscribedAmong;

/** Answers waiting before a write starts beside one under way. */
const SECOND_WRITE_MIN = 16;
/**
 * With no write under way, a group of fewer than GROUP_MIN answers waits up to GATHER_MS from its oldest answer for
 * more, rather than being written as soon as it exists: fewer, larger commits (journeys fan-out at 100,000: ~26 ->
 * ~32 answers per write). 10 ms more before an answer is on record is little next to the call, and keeps the
 * `unrecorded` bound far from full (2,500 answers/s x ~15 ms = ~40 of 128).
 */
const GROUP_MIN = 64;
const GATHER_MS = 10;

/**
 * Records provider answers by group commit: answers arriving while a write is under way wait and go together in the
 * next one. `record()` resolves once the answer is committed.
 */
class GroupRecorder {
  private queue: Array<{ id: string; result: SendResult; attempt: FirstRecord | undefined; resolve: () => void; reject: (err: unknown) => void }> = [];
  private writing = 0;
  /** When the oldest answer waiting was queued, and the timer that writes its group once it waited GATHER_MS. */
  private oldestAt = 0;
  private gathering: NodeJS.Timeout | undefined;

  /** `writers`: writes under way at once; a write beside another one waits for at least SECOND_WRITE_MIN answers. */
  constructor(private readonly db: Db, private readonly workspaceId: string, private readonly writers = 1) {}

  record(id: string, result: SendResult, attempt?: FirstRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) this.oldestAt = performance.now();
      this.queue.push({ id, result, attempt, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.writing >= this.writers || this.queue.length === 0) return;
    // Beside a write under way, a group of a few answers would be a commit per few rows (more statements for the same
    // rows, on a machine where the database is the bottleneck): it waits for a real group or for the write to end.
    if (this.writing > 0 && this.queue.length < SECOND_WRITE_MIN) return;
    if (this.writing === 0 && this.queue.length < GROUP_MIN) {
      const waited = performance.now() - this.oldestAt;
      if (waited < GATHER_MS) {
        this.gathering ??= setTimeout(() => ((this.gathering = undefined), this.kick()), Math.ceil(GATHER_MS - waited));
        return;
      }
    }
    this.writing += 1;
    const group = this.queue.splice(0);
    this.write(group)
      .then(
        () => group.forEach((g) => g.resolve()),
        (err: unknown) => group.forEach((g) => g.reject(err)),
      )
      .finally(() => {
        this.writing -= 1;
        this.kick();
      });
  }

  /**
   * One UPDATE for the answers of rows written before their call (`= ANY(ids)` keeps it on the primary key however
   * large the table grows), one multi-row INSERT for first attempts recorded only now (a row already there under the
   * key takes the answer).
   */
  private async write(group: Array<{ id: string; result: SendResult; attempt: FirstRecord | undefined }>): Promise<void> {
    const answer = ({ id, result }: { id: string; result: SendResult }) =>
      result.ok
        ? { id, status: 'sent', pmid: result.providerMessageId, kind: null, code: null, message: null }
        : { id, status: 'failed', pmid: null, kind: result.error.kind, code: result.error.code, message: result.error.message.slice(0, 1000) };
    const fresh = group.filter((g) => g.attempt).map((g) => ({ ...answer(g), ...g.attempt!, result: undefined, attempt: undefined }));
    if (fresh.length) {
      await sql`
        INSERT INTO channel_deliveries AS d (workspace_id, id, idempotency_key, channel_config_id, channel, recipient, profile_id, status, attempts, provider_message_id,
          error_kind, error_code, error_message, context)
        SELECT ${this.workspaceId}, r.id, r.key, r.config, r.channel, r.recipient, r."profileId", r.status, 1, r.pmid, r.kind, r.code, r.message, r.context
        FROM jsonb_to_recordset(${JSON.stringify(fresh)}::jsonb) AS r(id text, key text, config text, channel text, recipient text, "profileId" bigint, context jsonb,
          status text, pmid text, kind text, code text, message text)
        ON CONFLICT (workspace_id, idempotency_key) DO UPDATE SET status = excluded.status,
          provider_message_id = CASE WHEN excluded.status = 'sent' THEN excluded.provider_message_id ELSE d.provider_message_id END,
          error_kind = excluded.error_kind, error_code = excluded.error_code, error_message = excluded.error_message, attempts = d.attempts + 1, updated_at = now()`.execute(this.db);
    }
    const rows = group.filter((g) => !g.attempt).map(answer);
    if (!rows.length) return;
    await sql`
      UPDATE channel_deliveries d SET status = r.status,
        provider_message_id = CASE WHEN r.status = 'sent' THEN r.pmid ELSE d.provider_message_id END,
        error_kind = r.kind, error_code = r.code, error_message = r.message, updated_at = now()
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS r(id text, status text, pmid text, kind text, code text, message text)
      WHERE d.workspace_id = ${this.workspaceId} AND d.id = ANY(${rows.map((r) => r.id)}::text[]) AND d.id = r.id`.execute(this.db);
  }
}

/** A counting semaphore (FIFO). */
class Semaphore implements CallLimiter {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}
