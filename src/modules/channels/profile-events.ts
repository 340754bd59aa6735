import { createHash } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';

/**
 * Channel facts become events on the profile timeline through the ingest module's public API, as Segment-spec
 * messages whose identity is an external id (openid, external_userid, email, phone): OneID attaches them to the
 * right profile. Message ids are derived from the fact, so a callback WeChat repeats is ingested once.
 */
export type ExternalIdType = 'wechat_openid' | 'wechat_unionid' | 'wecom_external_userid' | 'member_no' | 'email' | 'phone';

export interface ExternalId {
  id: string;
  type: ExternalIdType;
  collection: 'users';
  encoding: 'none';
}

export interface ProfileEventMessage {
  type: 'track';
  event: string;
  userId?: string;
  anonymousId?: string;
  properties: Record<string, unknown>;
  context: { externalIds: ExternalId[]; channel?: string };
  messageId: string;
  timestamp: string;
}

/** `ingestMessages(db, workspaceId, messages)` of src/modules/ingest. */
export type IngestMessages = (db: Db, workspaceId: string, messages: ProfileEventMessage[]) => Promise<unknown>;

let sink: IngestMessages | undefined;

/** Called once from src/modules/wiring.ts with the ingest module's ingestMessages. */
export function setProfileEventSink(ingest: IngestMessages): void {
  sink = ingest;
}

/** Hands the messages to ingest; returns false when no ingest is wired in this process (nothing is recorded). */
export async function emitProfileEvents(db: Db, workspaceId: string, messages: ProfileEventMessage[]): Promise<boolean> {
  if (messages.length === 0) return true;
  if (!sink) return false;
  await sink(db, workspaceId, messages);
  return true;
}

export const externalId = (type: ExternalIdType, id: string): ExternalId => ({ id, type, collection: 'users', encoding: 'none' });

/** A stable message id for a fact: the same fact always yields the same id, so ingest drops repeats. */
export function factMessageId(...parts: (string | number | undefined)[]): string {
  return `siyu-${createHash('sha256').update(parts.map((p) => String(p ?? '')).join('\u0000')).digest('hex').slice(0, 32)}`;
}

/**
 * A track message identified by external ids. Ingest needs a userId or anonymousId besides them, so the first
 * external id doubles as the anonymousId (`wechat_openid:o6_bm…`): the same person, named once more.
 */
export function trackEvent(
  event: string,
  ids: ExternalId[],
  properties: Record<string, unknown>,
  timestamp: Date,
  messageId: string,
  channel?: string,
): ProfileEventMessage {
  const first = ids[0];
  return {
    type: 'track',
    event,
    ...(first ? { anonymousId: `${first.type}:${first.id}` } : {}),
    properties: JSON.parse(JSON.stringify(properties)) as Record<string, unknown>,
    context: { externalIds: ids, ...(channel ? { channel } : {}) },
    messageId,
    timestamp: timestamp.toISOString(),
  };
}
