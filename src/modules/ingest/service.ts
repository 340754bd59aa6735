import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
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

async function insertEvents(
  trx: Transaction<DB>,
  workspaceId: string,
  rows: Array<{ m: PreparedMessage; anchorId: number; profileId: number | null }>,
): Promise<Set<string>> {
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
