import { sql, type Transaction } from 'kysely';
import { from as copyFrom } from 'pg-copy-streams';
import { ensureSessionObject, withRawSession, type Db, type RawSession } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { applyProfileTouches, loadIdentifierRules, markProfilesChanged, pickAnchor, writeWithIdentities, type ProfileChangeScope, type ProfileTouch, type ResolveResult } from '../identity/index.js';
import type { IngestResult } from './group-commit.js';
import type { PreparedMessage } from './prepare.js';

export type { IngestResult } from './group-commit.js';

export async function storeMessages(db: Db, workspaceId: string, input: PreparedMessage[]): Promise<IngestResult> {
  const inserted = await storeMessagesReturningInserted(db, workspaceId, input);
  return { accepted: inserted.size, duplicates: input.length - inserted.size };
}

/** Stores messages (de-duplicated by messageId, first occurrence kept); returns the messageIds newly stored. */
export async function storeMessagesReturningInserted(db: Db, workspaceId: string, input: PreparedMessage[]): Promise<Set<string>> {
  // A messageId repeated inside one batch is the same message: keep its first occurrence.
  const messages = firstOccurrences(input);
  if (!messages.length) return new Set();
  const items = messages.map((m) => ({ messageId: m.messageId, time: m.timestamp, identifiers: m.identifiers }));
  return writeWithIdentities(db, workspaceId, items, (trx, resolved) => writeResolved(trx, workspaceId, messages, resolved));
}

/** Keeps the first occurrence of each messageId (a repeated messageId is the same message). */
export function firstOccurrences(input: PreparedMessage[]): PreparedMessage[] {
  const seen = new Set<string>();
  return input.filter((m) => (seen.has(m.messageId) ? false : (seen.add(m.messageId), true)));
}

/** Inserts resolved, de-duplicated messages (ON CONFLICT on messageId) and applies their profile touches. */
export async function writeResolved(trx: Transaction<DB>, workspaceId: string, messages: PreparedMessage[], resolved: ResolveResult): Promise<Set<string>> {
  if (!messages.length) return new Set();
  const order = messages.map((_, i) => i).sort((x, y) => (messages[x]!.messageId < messages[y]!.messageId ? -1 : 1));
  const inserted = await insertEvents(trx, workspaceId, order.map((i) => ({ m: messages[i]!, anchorId: resolved.items[i]!.anchorId, profileId: resolved.items[i]!.profileId })));
  const touches: ProfileTouch[] = [];
  messages.forEach((m, i) => {
    const profileId = resolved.items[i]!.profileId;
    if (profileId !== null && inserted.has(m.messageId)) touches.push({ profileId, time: m.timestamp, traits: m.traits ?? undefined, type: m.type, event: m.event });
  });
  await applyProfileTouches(trx, workspaceId, touches);
  return inserted;
}

/** Events that belong to an already-resolved anchor identifier (orders' lifecycle events), in the caller's transaction. */
export interface AnchoredEvent {
  messageId: string;
  event: string;
  properties: Record<string, unknown>;
  timestamp: Date;
  anchorId: number;
  profileId: number | null;
}

export async function insertAnchoredEvents(trx: Transaction<DB>, workspaceId: string, events: AnchoredEvent[]): Promise<number> {
  if (!events.length) return 0;
  const now = new Date();
  const rows = [...events]
    .sort((x, y) => (x.messageId < y.messageId ? -1 : 1))
    .map((e) => ({
      m: {
        index: 0, messageId: e.messageId, type: 'track', event: e.event, userId: null, anonymousId: null, timestamp: e.timestamp,
        receivedAt: now, properties: e.properties, traits: null, context: { library: { name: 'siyu' } }, identifiers: [],
      } satisfies PreparedMessage,
      anchorId: e.anchorId,
      profileId: e.profileId,
    }));
  return (await insertEvents(trx, workspaceId, rows)).size;
}

type EventRow = { m: PreparedMessage; anchorId: number; profileId: number | null };

/**
 * Inserts events in the given (messageId-sorted) order, skipping a messageId already stored; returns the messageIds
 * inserted. On PostgreSQL the rows are streamed with COPY (binary) into a session-level staging table, then moved
 * with one INSERT … SELECT … ON CONFLICT DO NOTHING: less backend CPU than parsing one JSON document, and no big
 * query parameter to encode. Elsewhere (PGlite, or a handle without a raw client) one JSON document is inserted.
 */
async function insertEvents(trx: Transaction<DB>, workspaceId: string, rows: EventRow[]): Promise<Set<string>> {
  const session = (await withRawSession(trx, async (s) => s))?.value;
  if (!session) return insertEventsByJson(trx, workspaceId, rows);
  // Staging and moving must not interleave with another insert on the same transaction.
  return oneAtATime(session, async () => {
    await withRawSession(trx, (s) => stageEvents(s, rows));
    // Through Kysely, so it is logged like any statement (the benches time statements from that log).
    const result = await sql<{ message_id: string }>`
      INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, user_id, anonymous_id, "timestamp", received_at, properties, traits, context)
      SELECT ${workspaceId}, message_id, type, event, identifier_id, profile_id, user_id, anonymous_id, ts, received_at, properties, traits, context
      FROM ${sql.raw(STAGING)}
      ON CONFLICT (workspace_id, message_id) DO NOTHING
      RETURNING message_id`.execute(trx);
    return new Set(result.rows.map((r) => r.message_id));
  });
}

// A temporary table is never scanned in parallel: rows come back in the order COPY wrote them (messageId order), so
// concurrent batches still take the unique index's locks in one order. ON COMMIT DELETE ROWS empties it at each
// commit in place (no new relfilenode, no catalog rows per transaction).
const STAGING = 'siyu_events_staging';
const STAGING_DDL = `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (message_id text, type text, event text, identifier_id bigint,
  profile_id bigint, user_id text, anonymous_id text, ts timestamptz, received_at timestamptz, properties jsonb, traits jsonb,
  context jsonb) ON COMMIT DELETE ROWS`;
const COPY_STAGING = `COPY ${STAGING} FROM STDIN (FORMAT binary)`;
/** The checkout (≈ transaction) in which a connection's staging table was last filled: a second use empties it first. */
const stagedIn = new WeakMap<RawSession, number>();
const busy = new WeakMap<RawSession, Promise<unknown>>();

function oneAtATime<T>(session: RawSession, fn: () => Promise<T>): Promise<T> {
  const run = (busy.get(session) ?? Promise.resolve()).then(fn, fn);
  busy.set(session, run.catch(() => undefined));
  return run;
}

async function stageEvents(session: RawSession, rows: EventRow[]): Promise<void> {
  await ensureSessionObject(session, STAGING, STAGING_DDL);
  if (stagedIn.get(session) === session.checkout) await session.client.query(`DELETE FROM ${STAGING}`);
  stagedIn.set(session, session.checkout);
  await copyEvents(session.client, rows);
}

const COPY_CHUNK = 256 * 1024;
const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01, the origin of PostgreSQL's timestamps
const TWO_32 = 4_294_967_296;

/**
 * Streams the rows in COPY's binary format, in chunks (PostgreSQL reads one while the next is built). Binary needs no
 * escaping at all and spares PostgreSQL parsing numbers and timestamps; each string is encoded to UTF-8 straight
 * into the chunk (one big text would be flattened, and turned two-byte by the first row holding Chinese, which makes
 * encoding it several times slower). jsonb goes as its version byte followed by the JSON text.
 */
function copyEvents(client: RawSession['client'], rows: EventRow[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.query(copyFrom(COPY_STAGING));
    stream.once('error', reject);
    stream.once('finish', resolve);
    let buf = Buffer.allocUnsafe(COPY_CHUNK);
    let at = 0;
    /** Room for n more bytes: a full chunk goes to the stream (CopyData messages may split rows anywhere). */
    const room = (n: number) => {
      if (buf.length - at >= n) return;
      if (at) stream.write(buf.subarray(0, at));
      buf = Buffer.allocUnsafe(Math.max(COPY_CHUNK, n));
      at = 0;
    };
    const nul = () => {
      room(4);
      buf.writeInt32BE(-1, at);
      at += 4;
    };
    const text = (s: string | null) => {
      if (s === null) return nul();
      room(4 + s.length * 3);
      const n = buf.write(s, at + 4);
      buf.writeInt32BE(n, at);
      at += 4 + n;
    };
    const int8 = (v: number) => {
      room(12);
      const hi = Math.floor(v / TWO_32);
      buf.writeInt32BE(8, at);
      buf.writeInt32BE(hi, at + 4);
      buf.writeUInt32BE(v - hi * TWO_32, at + 8);
      at += 12;
    };
    const timestamp = (d: Date) => {
      const ms = d.getTime();
      if (!Number.isFinite(ms)) throw new RangeError('Invalid time value');
      int8((ms - PG_EPOCH_MS) * 1000);
    };
    const jsonb = (v: unknown) => {
      if (v === null || v === undefined) return nul();
      const s = JSON.stringify(v);
      room(5 + s.length * 3);
      buf[at + 4] = 1;
      const n = buf.write(s, at + 5);
      buf.writeInt32BE(n + 1, at);
      at += 5 + n;
    };
    try {
      buf.write('PGCOPY\n\xff\r\n\0', 0, 'latin1'); // signature, then flags and header extension length: 0
      buf.writeInt32BE(0, 11);
      buf.writeInt32BE(0, 15);
      at = 19;
      for (const { m, anchorId, profileId } of rows) {
        room(2);
        buf.writeInt16BE(12, at);
        at += 2;
        text(m.messageId);
        text(m.type);
        text(m.event);
        int8(anchorId);
        if (profileId === null) nul();
        else int8(profileId);
        text(m.userId);
        text(m.anonymousId);
        timestamp(m.timestamp);
        timestamp(m.receivedAt);
        jsonb(m.properties);
        jsonb(m.traits);
        jsonb(m.context);
      }
      room(2);
      buf.writeInt16BE(-1, at);
      stream.end(buf.subarray(0, at + 2));
    } catch (err) {
      // A value that cannot be written (an invalid date): abort the COPY (CopyFail), and so the transaction.
      stream.destroy(err as Error);
      reject(err);
    }
  });
}

async function insertEventsByJson(trx: Transaction<DB>, workspaceId: string, rows: EventRow[]): Promise<Set<string>> {
  // One JSON document for the whole batch: far cheaper to build and parse than a dozen array literals. A request's
  // messages share one receivedAt (a flush holds a few requests): it is turned into text once per request.
  let receivedAt: Date | undefined;
  let receivedAtText = '';
  const doc = JSON.stringify(
    rows.map((r) => {
      if (r.m.receivedAt !== receivedAt) receivedAtText = (receivedAt = r.m.receivedAt).toISOString();
      return {
        message_id: r.m.messageId, type: r.m.type, event: r.m.event, identifier_id: r.anchorId, profile_id: r.profileId,
        user_id: r.m.userId, anonymous_id: r.m.anonymousId, ts: r.m.timestamp.toISOString(), received_at: receivedAtText,
        properties: r.m.properties, traits: r.m.traits, context: r.m.context,
      };
    }),
  );
  const result = await sql<{ message_id: string }>`
    INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, user_id, anonymous_id, "timestamp", received_at, properties, traits, context)
    SELECT ${workspaceId}, message_id, type, event, identifier_id, profile_id, user_id, anonymous_id, ts, received_at,
      nullif(properties, 'null'::jsonb), nullif(traits, 'null'::jsonb), nullif(context, 'null'::jsonb)
    FROM jsonb_to_recordset(${doc}::jsonb) AS x(message_id text, type text, event text, identifier_id bigint, profile_id bigint, user_id text,
      anonymous_id text, ts timestamptz, received_at timestamptz, properties jsonb, traits jsonb, context jsonb)
    ON CONFLICT (workspace_id, message_id) DO NOTHING
    RETURNING message_id`.execute(trx);
  return new Set(result.rows.map((r) => r.message_id));
}

export interface ProfileEventInput {
  profileId: number;
  /** `track` (default) for something observed; `identify` with traits to set traits (operator edits). */
  type?: 'track' | 'identify';
  event?: string;
  traits?: Record<string, unknown>;
  properties?: Record<string, unknown>;
  timestamp?: Date;
  /** Give one to make the call idempotent (e.g. `segment-entered:<segment>:<profile>:<version>`). */
  messageId?: string;
}

/**
 * Records events Siyu itself observes about a known profile (Segment Entered, Email Opened…), inside the caller's
 * transaction. Each event belongs to the profile's highest-priority identifier, so it follows that identifier
 * through later merges and unmerges like any other event.
 */
export async function appendProfileEvents(trx: Transaction<DB>, workspaceId: string, events: ProfileEventInput[]): Promise<number> {
  if (!events.length) return 0;
  const rules = await loadIdentifierRules(trx as unknown as Db, workspaceId);
  const profileIds = [...new Set(events.map((e) => e.profileId))];
  const identifiers = await trx
    .selectFrom('identifiers')
    .select(['id', 'type', 'value', 'profile_id'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', 'in', profileIds)
    .execute();
  const anchorOf = new Map<number, number>();
  for (const pid of profileIds) {
    const anchor = pickAnchor(identifiers.filter((i) => i.profile_id === pid), rules);
    if (anchor) anchorOf.set(pid, anchor.id);
  }
  const now = new Date();
  const rows = events
    .filter((e) => anchorOf.has(e.profileId))
    .map((e) => ({
      m: {
        index: 0,
        messageId: e.messageId ?? `sys-${crypto.randomUUID()}`,
        type: e.type ?? 'track',
        event: e.type === 'identify' ? null : (e.event ?? null),
        userId: null,
        anonymousId: null,
        timestamp: e.timestamp ?? now,
        receivedAt: now,
        properties: e.type === 'identify' ? null : (e.properties ?? {}),
        traits: e.type === 'identify' ? (e.traits ?? {}) : null,
        context: { library: { name: 'siyu' }, ...(e.properties && e.type === 'identify' ? { source: e.properties } : {}) },
        identifiers: [],
      } satisfies PreparedMessage,
      anchorId: anchorOf.get(e.profileId)!,
      profileId: e.profileId,
    }))
    .sort((x, y) => (x.m.messageId < y.m.messageId ? -1 : 1));
  if (!rows.length) return 0;
  const inserted = await insertEvents(trx, workspaceId, rows);
  const stored = rows.filter((r) => inserted.has(r.m.messageId));
  // Trait edits apply like any identify; observed events leave last-seen alone, but rules may depend on them.
  const edits = stored.filter((r) => r.m.type === 'identify');
  await applyProfileTouches(trx, workspaceId, edits.map((r) => ({ profileId: r.profileId, time: r.m.timestamp, traits: r.m.traits ?? {}, type: 'identify', event: null })));
  // Queued with what changed, so the rules tier re-decides only what reads these events (or the traits).
  const scopes = new Map<number, ProfileChangeScope>();
  for (const r of stored) {
    const scope = scopes.get(r.profileId) ?? { events: [], traits: false };
    if (r.m.event) scope.events.push(r.m.event);
    if (r.m.type === 'identify') scope.traits = true;
    scopes.set(r.profileId, scope);
  }
  await markProfilesChanged(trx, workspaceId, stored.map((r) => r.profileId), scopes);
  return inserted.size;
}
